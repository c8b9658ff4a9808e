#pragma once
// Projects live in the store, where administrators edit them (admin_projects.cc); the
// configuration's [[projects]] only seed it: at start, a project the store lacks is
// written from the file (audited, by "config"), and one it has is left as administrators
// last wrote it. Everything that asks about a project (requests, grants, desktops) reads
// the store.

#include <optional>
#include <string>
#include <string_view>

#include "broker/store/store.h"
#include "common/audit_event.h"
#include "common/clock.h"
#include "config/config.h"

namespace safedesk::broker {

// Caps for a project as administrators write it.
inline constexpr std::size_t kMaxProjectMembers = 1000;
inline constexpr std::int64_t kMinProjectSeconds = 60;
inline constexpr std::int64_t kMaxIdleTimeoutSeconds = 24 * 3600;

ProjectRecord ProjectFromConfig(const config::ProjectConfig& project);

// Writes every configured project the store lacks; logs the ones whose stored version
// differs from the file. The number written.
Result<int> SeedProjects(const config::Config& config, Store& store, AuditSink& audit, Clock& clock);

// The audit record of a project as written.
AuditEvent ProjectAudit(const ProjectRecord& project);

// Why an administrator's project cannot be stored, naming the offending field (API name).
struct ProjectProblem {
  std::string field;
  std::string detail;
};
// Checks names, caps, members (existing users), the dataset (an existing absolute
// directory), the pool (configured), durations and mask rules (ECMAScript regexes, as the
// agent compiles them). nullopt when the project may be stored.
Result<std::optional<ProjectProblem>> CheckProject(const config::Config& config, Store& store,
                                                   const ProjectRecord& project);

}  // namespace safedesk::broker
