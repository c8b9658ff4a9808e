#include "broker/projects.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <regex>

#include "broker/api_support.h"
#include "common/audit_events.h"
#include "common/log.h"
#include "common/session_grant.h"

namespace safedesk::broker {
namespace {

using std::chrono::duration_cast;
using std::chrono::seconds;

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

// Same engine and flags as the agent (agent/visibility.cc): what passes here compiles there.
bool CompilesAsEcmaScript(const std::string& pattern) {
  if (pattern.empty()) return true;
  try {
    std::regex compiled(pattern, std::regex::ECMAScript);
    return true;
  } catch (const std::regex_error&) {
    return false;
  }
}

bool SameContent(ProjectRecord a, ProjectRecord b) {
  std::sort(a.members.begin(), a.members.end());
  std::sort(b.members.begin(), b.members.end());
  return a.members == b.members && a.dataset_path == b.dataset_path && a.pool == b.pool &&
         a.max_duration_seconds == b.max_duration_seconds && a.idle_timeout_seconds == b.idle_timeout_seconds &&
         a.require_two_approvers == b.require_two_approvers && a.watermark == b.watermark &&
         a.allow_paste_in == b.allow_paste_in && a.mask_rules == b.mask_rules;
}

std::optional<ProjectProblem> CheckMaskRules(const std::vector<MaskRule>& rules) {
  if (rules.size() > kMaxMaskRules) return ProjectProblem{"maskRules", "too many mask rules"};
  for (const MaskRule& rule : rules) {
    if (rule.wm_class_regex.empty() && rule.title_regex.empty()) {
      return ProjectProblem{"maskRules", "a mask rule names neither a class nor a title"};
    }
    if (rule.wm_class_regex.size() > kMaxMaskPatternSize || rule.title_regex.size() > kMaxMaskPatternSize) {
      return ProjectProblem{"maskRules", "mask pattern too long"};
    }
    if (!CompilesAsEcmaScript(rule.wm_class_regex) || !CompilesAsEcmaScript(rule.title_regex)) {
      return ProjectProblem{"maskRules", "mask pattern is not an ECMAScript regular expression"};
    }
  }
  return std::nullopt;
}

std::optional<ProjectProblem> CheckDataset(const std::string& text) {
  const std::filesystem::path path(text);
  if (text.empty() || text.size() > 4096 || !path.is_absolute() || path.lexically_normal() != path ||
      text.find("/..") != std::string::npos) {
    return ProjectProblem{"datasetPath", "dataset path must be absolute and normal: " + text};
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) {
    return ProjectProblem{"datasetPath", "dataset path is not a directory on the broker's host: " + text};
  }
  return std::nullopt;
}

}  // namespace

ProjectRecord ProjectFromConfig(const config::ProjectConfig& project) {
  ProjectRecord out;
  out.name = project.name;
  out.members = project.members;
  out.dataset_path = project.dataset_path.string();
  out.pool = project.pool;
  out.max_duration_seconds = duration_cast<seconds>(project.max_duration).count();
  out.idle_timeout_seconds = duration_cast<seconds>(project.idle_timeout).count();
  out.require_two_approvers = project.require_two_approvers;
  out.watermark = project.watermark;
  out.allow_paste_in = project.allow_paste_in;
  for (const config::MaskRule& rule : project.mask_rules) out.mask_rules.push_back({rule.wm_class, rule.title});
  return out;
}

AuditEvent ProjectAudit(const ProjectRecord& p) {
  return audit::ProjectUpdated(p.name, p.updated_by, p.version, Join(p.members), p.dataset_path, p.pool,
                               p.max_duration_seconds, p.idle_timeout_seconds, p.require_two_approvers, p.watermark,
                               p.allow_paste_in, static_cast<std::int64_t>(p.mask_rules.size()));
}

Result<int> SeedProjects(const config::Config& config, Store& store, AuditSink& audit, Clock& clock) {
  int written = 0;
  for (const config::ProjectConfig& configured : config.projects) {
    ProjectRecord seed = ProjectFromConfig(configured);
    auto stored = store.FindProject(seed.name);
    if (!stored) return stored.error();
    if (stored->has_value()) {
      if (!SameContent(**stored, seed)) {
        log::Main()->warn("project {}: the store's version {} (by {}) differs from {}; the store's is used",
                          seed.name, (*stored)->version, (*stored)->updated_by, config.source);
      }
      continue;
    }
    seed.updated_at = UnixSeconds(clock.Now());
    seed.updated_by = "config";
    auto put = store.PutProject(seed, 0);
    if (!put) return put.error();
    if (!*put) continue;  // another broker seeded it a moment ago
    seed.version = 1;
    SAFEDESK_TRY(audit.Append(ProjectAudit(seed)));
    ++written;
  }
  return written;
}

Result<std::optional<ProjectProblem>> CheckProject(const config::Config& config, Store& store,
                                                   const ProjectRecord& p) {
  using Problem = std::optional<ProjectProblem>;
  if (!ValidName(p.name)) return Problem(ProjectProblem{"name", "bad project name"});
  if (p.members.size() > kMaxProjectMembers) return Problem(ProjectProblem{"members", "too many members"});
  for (const std::string& member : p.members) {
    if (!ValidName(member)) return Problem(ProjectProblem{"members", "bad member name"});
    auto user = store.FindUser(member);
    if (!user) return user.error();
    if (!user->has_value()) return Problem(ProjectProblem{"members", "no user " + member});
  }
  if (auto problem = CheckDataset(p.dataset_path)) return Problem(std::move(*problem));
  if (config.FindPool(p.pool) == nullptr) return Problem(ProjectProblem{"pool", "no pool " + p.pool});
  if (p.max_duration_seconds < kMinProjectSeconds || p.max_duration_seconds > kMaxGrantDuration.count()) {
    return Problem(ProjectProblem{"maxDurationSeconds", "maximum duration out of range"});
  }
  if (p.idle_timeout_seconds < kMinProjectSeconds || p.idle_timeout_seconds > kMaxIdleTimeoutSeconds) {
    return Problem(ProjectProblem{"idleTimeoutSeconds", "idle timeout out of range"});
  }
  if (auto problem = CheckMaskRules(p.mask_rules)) return Problem(std::move(*problem));
  return Problem();
}

}  // namespace safedesk::broker
