#include "broker/requests_policy.h"

#include <algorithm>

namespace safedesk::broker {
namespace {

using std::chrono::duration_cast;
using std::chrono::seconds;

}  // namespace

std::vector<auth::RolePolicy> RolePoliciesFrom(const config::Config& config) {
  std::vector<auth::RolePolicy> out;
  for (const config::RoleConfig& role : config.roles) {
    out.push_back({role.name, role.can_request, duration_cast<seconds>(role.max_duration),
                   duration_cast<seconds>(role.idle_timeout), role.allow_paste_in, role.watermark,
                   role.require_user_verification});
  }
  return out;
}

std::vector<auth::ProjectPolicy> ProjectPoliciesFrom(const std::vector<ProjectRecord>& projects) {
  std::vector<auth::ProjectPolicy> out;
  for (const ProjectRecord& project : projects) {
    // Projects carry no user-verification key; requiring it is the safe reading.
    out.push_back({project.name, project.members, seconds(project.max_duration_seconds),
                   seconds(project.idle_timeout_seconds), project.allow_paste_in, project.watermark, true,
                   project.mask_rules});
  }
  return out;
}

Result<auth::GrantDecision> DecideSessionGrant(const config::Config& config, Store& store, const std::string& user,
                                               const std::vector<std::string>& roles, const std::string& project,
                                               seconds duration) {
  // Only the project asked for: DecideGrant finds it by name, and a missing one denies.
  auto found = store.FindProject(project);
  if (!found) return found.error();
  std::vector<ProjectRecord> projects;
  if (found->has_value()) projects.push_back(std::move(**found));
  const auto role_policies = RolePoliciesFrom(config);
  const auto project_policies = ProjectPoliciesFrom(projects);
  auth::GrantDecision decision =
      auth::DecideGrant({user, roles, project, duration}, role_policies, project_policies);
  if (decision.ok() && decision.grant().max_duration < duration) {
    return auth::GrantDecision::Denied(auth::PolicyDenial::kBadDuration,
                                       "duration above the maximum of project " + project + " or a role");
  }
  return decision;
}

Result<std::vector<ProjectRecord>> MemberProjects(Store& store, const std::string& user) {
  auto projects = store.ListProjects();
  if (!projects) return projects.error();
  std::vector<ProjectRecord> out;
  for (ProjectRecord& project : *projects) {
    if (std::find(project.members.begin(), project.members.end(), user) != project.members.end()) {
      out.push_back(std::move(project));
    }
  }
  return out;
}

}  // namespace safedesk::broker
