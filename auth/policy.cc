#include "auth/policy.h"

#include <fmt/format.h>

#include <algorithm>

namespace safedesk::auth {
namespace {

using std::chrono::seconds;

// The running most-restrictive combination.
struct Limits {
  seconds max_duration{0};
  seconds idle_timeout{0};
  bool allow_paste_in = false;
  bool watermark = true;
  bool require_user_verification = true;
};

// The values one role or project contributes, all present.
struct Contribution {
  seconds max_duration;
  seconds idle_timeout;
  bool allow_paste_in;
  bool watermark;
  bool require_user_verification;
};

template <class Policy>
std::optional<Contribution> Complete(const Policy& p) {
  if (!p.max_duration || !p.idle_timeout || !p.allow_paste_in || !p.watermark || !p.require_user_verification) {
    return std::nullopt;
  }
  return Contribution{*p.max_duration, *p.idle_timeout, *p.allow_paste_in, *p.watermark,
                      *p.require_user_verification};
}

void Restrict(Limits& limits, const Contribution& c) {
  limits.max_duration = std::min(limits.max_duration, c.max_duration);
  limits.idle_timeout = std::min(limits.idle_timeout, c.idle_timeout);
  limits.allow_paste_in = limits.allow_paste_in && c.allow_paste_in;
  limits.watermark = limits.watermark || c.watermark;
  limits.require_user_verification = limits.require_user_verification || c.require_user_verification;
}

enum class Lookup { kFound, kMissing, kAmbiguous };

template <class Policy>
Lookup FindByName(std::span<const Policy> items, std::string_view name, const Policy*& found) {
  found = nullptr;
  for (const Policy& item : items) {
    if (item.name != name) continue;
    if (found != nullptr) return Lookup::kAmbiguous;
    found = &item;
  }
  return found != nullptr ? Lookup::kFound : Lookup::kMissing;
}

GrantDecision Deny(PolicyDenial denial, std::string detail) {
  return GrantDecision::Denied(denial, std::move(detail));
}

// Starts the combination from the project; fills `grant`'s mask rules.
std::optional<GrantDecision> ApplyProject(const GrantRequest& request, std::span<const ProjectPolicy> projects,
                                          Limits& limits, SessionGrant& grant) {
  const ProjectPolicy* project = nullptr;
  switch (FindByName(projects, request.project, project)) {
    case Lookup::kMissing: return Deny(PolicyDenial::kUnknownProject, fmt::format("project {}", request.project));
    case Lookup::kAmbiguous: return Deny(PolicyDenial::kAmbiguousName, fmt::format("project {}", request.project));
    case Lookup::kFound: break;
  }
  if (std::find(project->members.begin(), project->members.end(), request.user) == project->members.end()) {
    return Deny(PolicyDenial::kNotAMember, fmt::format("{} not in project {}", request.user, project->name));
  }
  auto values = Complete(*project);
  if (!values || !project->mask_rules) {
    return Deny(PolicyDenial::kMissingValue, fmt::format("project {} leaves a value unset", project->name));
  }
  limits = Limits{values->max_duration, values->idle_timeout, values->allow_paste_in, values->watermark,
                  values->require_user_verification};
  grant.mask_rules = *project->mask_rules;
  return std::nullopt;
}

std::optional<GrantDecision> ApplyRoles(const GrantRequest& request, std::span<const RolePolicy> roles,
                                        Limits& limits) {
  if (request.roles.empty()) return Deny(PolicyDenial::kNoRoles, fmt::format("user {}", request.user));
  for (const std::string& name : request.roles) {
    const RolePolicy* role = nullptr;
    switch (FindByName(roles, name, role)) {
      case Lookup::kMissing: return Deny(PolicyDenial::kUnknownRole, fmt::format("role {}", name));
      case Lookup::kAmbiguous: return Deny(PolicyDenial::kAmbiguousName, fmt::format("role {}", name));
      case Lookup::kFound: break;
    }
    if (!role->can_request.has_value()) {
      return Deny(PolicyDenial::kMissingValue, fmt::format("role {} leaves can_request unset", name));
    }
    if (!*role->can_request) return Deny(PolicyDenial::kRoleCannotRequest, fmt::format("role {}", name));
    auto values = Complete(*role);
    if (!values) return Deny(PolicyDenial::kMissingValue, fmt::format("role {} leaves a value unset", name));
    Restrict(limits, *values);
  }
  return std::nullopt;
}

}  // namespace

std::string_view PolicyDenialName(PolicyDenial denial) {
  switch (denial) {
    case PolicyDenial::kNoRoles: return "no_roles";
    case PolicyDenial::kUnknownRole: return "unknown_role";
    case PolicyDenial::kAmbiguousName: return "ambiguous_name";
    case PolicyDenial::kRoleCannotRequest: return "role_cannot_request";
    case PolicyDenial::kUnknownProject: return "unknown_project";
    case PolicyDenial::kNotAMember: return "not_a_member";
    case PolicyDenial::kMissingValue: return "missing_value";
    case PolicyDenial::kBadDuration: return "bad_duration";
    case PolicyDenial::kInvalidGrant: return "invalid_grant";
  }
  return "unknown";
}

GrantDecision GrantDecision::Granted(SessionGrant grant) {
  GrantDecision d;
  d.grant_ = std::move(grant);
  return d;
}

GrantDecision GrantDecision::Denied(PolicyDenial denial, std::string detail) {
  GrantDecision d;
  d.denial_ = denial;
  d.detail_ = std::move(detail);
  return d;
}

Result<SessionGrant> GrantDecision::ToResult() const {
  if (grant_) return *grant_;
  return MakeError(Errc::kPermissionDenied, fmt::format("{}: {}", PolicyDenialName(denial_), detail_));
}

GrantDecision DecideGrant(const GrantRequest& request, std::span<const RolePolicy> roles,
                          std::span<const ProjectPolicy> projects) {
  Limits limits;
  SessionGrant grant;
  if (auto denied = ApplyProject(request, projects, limits, grant)) return std::move(*denied);
  if (auto denied = ApplyRoles(request, roles, limits)) return std::move(*denied);
  if (request.requested_duration <= seconds(0) || limits.max_duration <= seconds(0) ||
      limits.idle_timeout <= seconds(0)) {
    return Deny(PolicyDenial::kBadDuration, "durations must be positive");
  }
  grant.allow_clipboard_paste_in = limits.allow_paste_in;
  grant.allow_file_transfer = false;
  grant.record_required = true;
  grant.watermark = limits.watermark;
  grant.max_duration = std::min(request.requested_duration, limits.max_duration);
  // An idle timeout longer than the session itself can never fire; the shorter one wins.
  grant.idle_timeout = std::min(limits.idle_timeout, grant.max_duration);
  grant.require_user_verification = limits.require_user_verification;
  if (auto valid = ValidateGrant(grant); !valid.ok()) {
    return Deny(PolicyDenial::kInvalidGrant, valid.error().message);
  }
  return GrantDecision::Granted(std::move(grant));
}

}  // namespace safedesk::auth
