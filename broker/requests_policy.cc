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

std::vector<auth::ProjectPolicy> ProjectPoliciesFrom(const config::Config& config) {
  std::vector<auth::ProjectPolicy> out;
  for (const config::ProjectConfig& project : config.projects) {
    std::vector<MaskRule> rules;
    for (const config::MaskRule& rule : project.mask_rules) rules.push_back({rule.wm_class, rule.title});
    // Projects carry no user-verification key; requiring it is the safe reading.
    out.push_back({project.name, project.members, duration_cast<seconds>(project.max_duration),
                   duration_cast<seconds>(project.idle_timeout), project.allow_paste_in, project.watermark, true,
                   std::move(rules)});
  }
  return out;
}

auth::GrantDecision DecideSessionGrant(const config::Config& config, const std::string& user,
                                       const std::vector<std::string>& roles, const std::string& project,
                                       seconds duration) {
  const auto role_policies = RolePoliciesFrom(config);
  const auto project_policies = ProjectPoliciesFrom(config);
  auth::GrantDecision decision =
      auth::DecideGrant({user, roles, project, duration}, role_policies, project_policies);
  if (decision.ok() && decision.grant().max_duration < duration) {
    return auth::GrantDecision::Denied(auth::PolicyDenial::kBadDuration,
                                       "duration above the maximum of project " + project + " or a role");
  }
  return decision;
}

std::vector<const config::ProjectConfig*> MemberProjects(const config::Config& config, const std::string& user) {
  std::vector<const config::ProjectConfig*> out;
  for (const config::ProjectConfig& project : config.projects) {
    if (std::find(project.members.begin(), project.members.end(), user) != project.members.end()) {
      out.push_back(&project);
    }
  }
  return out;
}

}  // namespace safedesk::broker
