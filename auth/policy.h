#pragma once
// Policy → SessionGrant. Roles and the project each bound what a session may do; the
// grant is the most restrictive combination (shortest durations, allowances ANDed,
// watermark and user verification ORed). Every input value is optional so that a value
// nobody wrote down is seen as missing, and a missing value denies: nothing defaults open.

#include <cassert>
#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/session_grant.h"

namespace safedesk::auth {

struct RolePolicy {
  std::string name;
  std::optional<bool> can_request;
  std::optional<std::chrono::seconds> max_duration;
  std::optional<std::chrono::seconds> idle_timeout;
  std::optional<bool> allow_paste_in;
  std::optional<bool> watermark;
  std::optional<bool> require_user_verification;
};

struct ProjectPolicy {
  std::string name;
  std::vector<std::string> members;
  std::optional<std::chrono::seconds> max_duration;
  std::optional<std::chrono::seconds> idle_timeout;
  std::optional<bool> allow_paste_in;  // clipboard paste-in happens only if a project says so
  std::optional<bool> watermark;
  std::optional<bool> require_user_verification;
  // An explicitly empty list is a decision; an absent one is missing and denies.
  std::optional<std::vector<MaskRule>> mask_rules;
};

struct GrantRequest {
  std::string user;
  std::vector<std::string> roles;  // the user's role names
  std::string project;
  std::chrono::seconds requested_duration{0};
};

// Why a grant was refused. Names are stable (audit "request.denied" reasons).
enum class PolicyDenial {
  kNoRoles,
  kUnknownRole,
  kAmbiguousName,  // two roles or two projects share a name: refuse to guess
  kRoleCannotRequest,
  kUnknownProject,
  kNotAMember,
  kMissingValue,
  kBadDuration,
  kInvalidGrant,
};
std::string_view PolicyDenialName(PolicyDenial denial);

// Either the grant or the reason there is none.
class [[nodiscard]] GrantDecision {
 public:
  static GrantDecision Granted(SessionGrant grant);
  static GrantDecision Denied(PolicyDenial denial, std::string detail);

  bool ok() const { return grant_.has_value(); }
  const SessionGrant& grant() const {
    assert(ok());
    return *grant_;
  }
  PolicyDenial denial() const { return denial_; }
  // Names the role, project or field at fault; never holds a secret.
  const std::string& detail() const { return detail_; }
  // kPermissionDenied, "<denial name>: <detail>", or the grant.
  Result<SessionGrant> ToResult() const;

 private:
  std::optional<SessionGrant> grant_;
  PolicyDenial denial_ = PolicyDenial::kMissingValue;
  std::string detail_;
};

GrantDecision DecideGrant(const GrantRequest& request, std::span<const RolePolicy> roles,
                          std::span<const ProjectPolicy> projects);

}  // namespace safedesk::auth
