#pragma once
// Turns the deployment's roles (configuration) and projects (the store, where
// administrators edit them) into auth::DecideGrant's inputs, so the request and start
// handlers ask the policy the same question. DecideGrant fails closed on anything odd.

#include <chrono>
#include <string>
#include <vector>

#include "auth/policy.h"
#include "broker/store/store.h"
#include "config/config.h"

namespace safedesk::broker {

std::vector<auth::RolePolicy> RolePoliciesFrom(const config::Config& config);
std::vector<auth::ProjectPolicy> ProjectPoliciesFrom(const std::vector<ProjectRecord>& projects);

// The grant for `user` (with `roles`) on `project` for `duration`. A grant shorter than
// the duration asked for is a denial (kBadDuration): a request is never silently cut.
// An error only when the store cannot be read.
Result<auth::GrantDecision> DecideSessionGrant(const config::Config& config, Store& store, const std::string& user,
                                               const std::vector<std::string>& roles, const std::string& project,
                                               std::chrono::seconds duration);

// The projects `user` is a member of, by name.
Result<std::vector<ProjectRecord>> MemberProjects(Store& store, const std::string& user);

}  // namespace safedesk::broker
