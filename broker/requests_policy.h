#pragma once
// Turns the deployment's roles and projects into auth::DecideGrant's inputs, so the
// request and start handlers ask the policy the same question. Config values are always
// present, so nothing here is "missing"; DecideGrant still fails closed on anything odd.

#include <chrono>
#include <string>
#include <vector>

#include "auth/policy.h"
#include "config/config.h"

namespace safedesk::broker {

std::vector<auth::RolePolicy> RolePoliciesFrom(const config::Config& config);
std::vector<auth::ProjectPolicy> ProjectPoliciesFrom(const config::Config& config);

// The grant for `user` (with `roles`) on `project` for `duration`. A grant shorter than
// the duration asked for is a denial (kBadDuration): a request is never silently cut.
auth::GrantDecision DecideSessionGrant(const config::Config& config, const std::string& user,
                                       const std::vector<std::string>& roles, const std::string& project,
                                       std::chrono::seconds duration);

// The projects `user` is a member of, in config order.
std::vector<const config::ProjectConfig*> MemberProjects(const config::Config& config, const std::string& user);

}  // namespace safedesk::broker
