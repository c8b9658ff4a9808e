#include "broker/desktop_pool.h"

#include <algorithm>

#include "common/audit_events.h"
#include "common/log.h"

namespace safedesk::broker {
namespace {

// After a spare fails to start or is discarded, its project gets no new spare for this
// long: a broken dataset path or a full host must not turn into a start every pass.
constexpr std::chrono::seconds kSpareRetryDelay{5};

bool SameDesktop(const DesktopSpec& a, const DesktopSpec& b) {
  return a.project == b.project && a.dataset_path == b.dataset_path && a.width == b.width && a.height == b.height &&
         a.gateway_address == b.gateway_address && a.mask_rules == b.mask_rules;
}

}  // namespace

DesktopSpec DesktopSpecFor(const config::Config& config, const ProjectRecord& project, const std::string& session_id) {
  DesktopSpec spec;
  spec.session_id = session_id;
  spec.project = project.name;
  spec.dataset_path = project.dataset_path;
  spec.gateway_address = config.gateway.listen.ToString();
  spec.mask_rules = project.mask_rules;
  if (const config::PoolConfig* pool = config.FindPool(project.pool)) {
    spec.width = pool->screen.width;
    spec.height = pool->screen.height;
  }
  return spec;
}

DesktopPool::DesktopPool(DesktopProvider& inner, const config::Config& config, Store& store, const Clock& clock,
                         AuditSink& audit, DesktopPoolOptions options)
    : inner_(inner), config_(config), store_(store), clock_(clock), audit_(audit), options_(options) {}

// Every desktop the pool started goes with it (spares and any session's still running).
DesktopPool::~DesktopPool() {
  StopMaintenance();
  std::lock_guard lock(mu_);
  for (const auto& [id, entry] : desktops_) (void)StopInner(id);
  desktops_.clear();
}

void DesktopPool::SetSessionHooks(SessionLivenessFn liveness, DesktopLostFn on_lost) {
  std::lock_guard lock(mu_);
  liveness_ = std::move(liveness);
  on_lost_ = std::move(on_lost);
}

void DesktopPool::SetStoppedHook(std::function<void(const std::string&)> stopped) {
  std::lock_guard lock(mu_);
  stopped_ = std::move(stopped);
}

// Set before use and never changed after, so read without the lock (callers may hold it).
Result<void> DesktopPool::StopInner(const std::string& id) {
  auto stopped = inner_.Stop(id);
  if (stopped_) stopped_(id);
  return stopped;
}

Result<const config::PoolConfig*> DesktopPool::PoolOf(const std::string& project) const {
  auto found = store_.FindProject(project);
  if (!found) return found.error();
  const config::PoolConfig* pool = found->has_value() ? config_.FindPool((*found)->pool) : nullptr;
  if (pool == nullptr) return MakeError(Errc::kInvalidArgument, "project " + project + " has no desktop pool");
  return pool;
}

int DesktopPool::CountLocked(const std::string& pool) const {
  int n = 0;
  for (const auto& [id, entry] : desktops_) n += entry.pool == pool ? 1 : 0;
  return n;
}

// A ready spare started for exactly this spec, checked ready once more; failed ones found
// on the way are dropped (Maintain would discard them a moment later anyway).
std::optional<DesktopHandle> DesktopPool::TakeSpareLocked(const DesktopSpec& spec) {
  for (auto it = desktops_.begin(); it != desktops_.end();) {
    Entry& entry = it->second;
    if (entry.slot != Slot::kSpareReady || !SameDesktop(entry.spec, spec)) {
      ++it;
      continue;
    }
    auto state = inner_.Probe(it->first);
    if (state && *state == DesktopState::kReady) {
      entry.slot = Slot::kInUse;
      entry.session_id = spec.session_id;
      DesktopHandle handle = std::move(*entry.handle);
      entry.handle.reset();
      log::ForSession(spec.session_id)->info("desktop {}: warm spare of pool {} handed out", it->first, entry.pool);
      return handle;
    }
    if (state && *state == DesktopState::kStarting) {  // e.g. a slow answer under load: not now, not dropped
      ++it;
      continue;
    }
    log::Main()->warn("desktop {}: spare of project {} failed; discarded", it->first, entry.project);
    (void)audit_.Append(audit::DesktopSpareDiscarded(it->first, entry.pool, entry.project, "failed"));
    (void)StopInner(it->first);
    it = desktops_.erase(it);
  }
  return std::nullopt;
}

// Makes room for a session by stopping one spare of the pool, preferring one still
// starting (it has cost less) over a ready one.
bool DesktopPool::EvictSpareLocked(const std::string& pool, std::vector<std::string>& to_stop) {
  auto victim = desktops_.end();
  for (auto it = desktops_.begin(); it != desktops_.end(); ++it) {
    if (it->second.pool != pool || it->second.slot == Slot::kInUse) continue;
    if (victim == desktops_.end() || it->second.slot == Slot::kSpareStarting) victim = it;
  }
  if (victim == desktops_.end()) return false;
  log::Main()->info("desktop {}: spare of project {} stopped to make room in pool {}", victim->first,
                    victim->second.project, pool);
  to_stop.push_back(victim->first);
  desktops_.erase(victim);
  return true;
}

Result<void> DesktopPool::Admit(const DesktopSpec& spec) {
  auto found = PoolOf(spec.project);
  if (!found) return found.error();
  const config::PoolConfig* pool = *found;
  std::lock_guard lock(mu_);
  int in_use = 0;
  for (const auto& [id, entry] : desktops_) {
    if (entry.slot == Slot::kSpareReady && SameDesktop(entry.spec, spec)) return Ok();
    in_use += entry.pool == pool->name && entry.slot == Slot::kInUse ? 1 : 0;
  }
  if (in_use >= pool->max_desktops) {
    return MakeError(Errc::kLimitExceeded, "pool " + pool->name + ": all " + std::to_string(pool->max_desktops) +
                                               " desktops are in use");
  }
  return Ok();
}

Result<DesktopHandle> DesktopPool::Start(const DesktopSpec& spec) {
  auto found = PoolOf(spec.project);
  if (!found) return found.error();
  const config::PoolConfig* pool = *found;
  // Held across the provider's Start so that two starts cannot both take the last place.
  std::lock_guard lock(mu_);
  if (auto spare = TakeSpareLocked(spec)) return std::move(*spare);
  std::vector<std::string> to_stop;
  if (CountLocked(pool->name) >= pool->max_desktops && !EvictSpareLocked(pool->name, to_stop)) {
    return MakeError(Errc::kLimitExceeded, "pool " + pool->name + ": all " + std::to_string(pool->max_desktops) +
                                               " desktops are in use");
  }
  for (const std::string& id : to_stop) (void)StopInner(id);
  auto handle = inner_.Start(spec);
  if (!handle) return handle.error();
  Entry entry;
  entry.pool = pool->name;
  entry.project = spec.project;
  entry.session_id = spec.session_id;
  entry.spec = spec;
  desktops_[handle->id] = std::move(entry);
  return handle;
}

Result<DesktopState> DesktopPool::Probe(const std::string& id) { return inner_.Probe(id); }

Result<void> DesktopPool::Stop(const std::string& id) {
  {
    std::lock_guard lock(mu_);
    desktops_.erase(id);
  }
  return StopInner(id);
}

std::vector<DesktopInfo> DesktopPool::List() const {
  std::vector<DesktopInfo> out = inner_.List();
  std::lock_guard lock(mu_);
  for (DesktopInfo& info : out) {
    const auto found = desktops_.find(info.id);
    if (found != desktops_.end()) info.session_id = found->second.session_id;
  }
  return out;
}

std::vector<std::string> DesktopPool::SpareIds(const std::string& project) const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [id, entry] : desktops_) {
    if (entry.project == project && entry.slot != Slot::kInUse) out.push_back(id);
  }
  return out;
}

std::vector<std::string> DesktopPool::ReadySpareIds(const std::string& project) const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [id, entry] : desktops_) {
    if (entry.project == project && entry.slot == Slot::kSpareReady) out.push_back(id);
  }
  return out;
}

void DesktopPool::DiscardSpare(const std::string& id, const std::string& reason) {
  std::string pool, project;
  {
    std::lock_guard lock(mu_);
    const auto found = desktops_.find(id);
    if (found == desktops_.end() || found->second.slot == Slot::kInUse) return;  // taken meanwhile
    pool = found->second.pool;
    project = found->second.project;
    desktops_.erase(found);
    // A desktop that cannot come up (a broken dataset mount, an agent that cannot register)
    // would otherwise be retried on every pass.
    retry_after_[project] = clock_.Monotonic() + kSpareRetryDelay;
  }
  log::Main()->warn("desktop {}: spare of project {} discarded ({})", id, project, reason);
  (void)audit_.Append(audit::DesktopSpareDiscarded(id, pool, project, reason));
  (void)StopInner(id);
}

// One desktop, as `seen` in this pass's snapshot. Provider calls run without the lock.
void DesktopPool::CheckDesktop(const std::string& id, const Entry& seen) {
  if (seen.slot != Slot::kInUse) {
    auto state = inner_.Probe(id);
    if (!state || *state == DesktopState::kFailed) return DiscardSpare(id, "failed");
    if (*state == DesktopState::kReady) {
      std::lock_guard lock(mu_);
      const auto found = desktops_.find(id);
      if (found != desktops_.end() && found->second.slot == Slot::kSpareStarting) {
        found->second.slot = Slot::kSpareReady;
        log::Main()->info("desktop {}: spare of project {} ready", id, seen.project);
      }
      return;
    }
    if (clock_.Monotonic() >= seen.ready_deadline) DiscardSpare(id, "not_ready_in_time");
    return;
  }
  SessionLivenessFn liveness;
  DesktopLostFn on_lost;
  {
    std::lock_guard lock(mu_);
    liveness = liveness_;
    on_lost = on_lost_;
  }
  // Unknown: the session is still being started (WaitUntilReady watches it) or is not the
  // broker's to judge.
  const SessionLiveness live = liveness ? liveness(seen.session_id) : SessionLiveness::kUnknown;
  if (live == SessionLiveness::kUnknown) return;
  if (live == SessionLiveness::kLive) {
    auto state = inner_.Probe(id);
    if (state && *state != DesktopState::kFailed) return;
    log::ForSession(seen.session_id)
        ->error("desktop {} died: {}", id, state ? "failed" : state.error().message);
    if (on_lost) on_lost(seen.session_id, id);
  } else {
    log::ForSession(seen.session_id)->info("desktop {}: session ended; stopping it", id);
  }
  if (auto stopped = Stop(id); !stopped && stopped.error().code != Errc::kNotFound) {
    log::ForSession(seen.session_id)->warn("desktop {} not stopped: {}", id, stopped.error().message);
  }
}

// Spares whose project is gone, moved to another pool, or now mounts another dataset
// (administrators edit projects) can serve nobody: they go.
void DesktopPool::DropStaleSparesLocked(const std::vector<ProjectRecord>& projects, std::vector<std::string>& stale) {
  for (auto it = desktops_.begin(); it != desktops_.end();) {
    const Entry& entry = it->second;
    const auto project = std::find_if(projects.begin(), projects.end(),
                                      [&entry](const ProjectRecord& p) { return p.name == entry.project; });
    const bool current = project != projects.end() && project->pool == entry.pool &&
                         SameDesktop(DesktopSpecFor(config_, *project, ""), entry.spec);
    if (entry.slot == Slot::kInUse || current) {
      ++it;
      continue;
    }
    log::Main()->info("desktop {}: spare of project {} no longer matches its project; discarded", it->first,
                      entry.project);
    (void)audit_.Append(audit::DesktopSpareDiscarded(it->first, entry.pool, entry.project, "project_changed"));
    stale.push_back(it->first);
    it = desktops_.erase(it);
  }
}

// Starts spares until every project of every pool has its warm_spares, within
// max_desktops (sessions first: a full pool starts no spare).
void DesktopPool::Replenish() {
  auto projects = store_.ListProjects();
  if (!projects) {
    log::Main()->warn("desktop pools: cannot list projects: {}", projects.error().message);
    return;
  }
  std::vector<std::string> stale;
  std::lock_guard lock(mu_);
  DropStaleSparesLocked(*projects, stale);
  for (const std::string& id : stale) (void)StopInner(id);
  const auto now = clock_.Monotonic();
  for (const ProjectRecord& project : *projects) {
    const config::PoolConfig* pool = config_.FindPool(project.pool);
    if (pool == nullptr || pool->warm_spares <= 0) continue;
    if (const auto wait = retry_after_.find(project.name); wait != retry_after_.end() && now < wait->second) continue;
    int spares = 0;
    for (const auto& [id, entry] : desktops_) spares += entry.project == project.name && entry.slot != Slot::kInUse;
    while (spares < pool->warm_spares && CountLocked(pool->name) < pool->max_desktops) {
      DesktopSpec spec = DesktopSpecFor(config_, project, "");
      auto handle = inner_.Start(spec);
      if (!handle) {
        log::Main()->warn("pool {}: cannot start a spare for project {}: {}", pool->name, project.name,
                          handle.error().message);
        retry_after_[project.name] = now + kSpareRetryDelay;
        break;
      }
      Entry entry;
      entry.pool = pool->name;
      entry.project = project.name;
      entry.slot = Slot::kSpareStarting;
      entry.ready_deadline = now + options_.spare_ready_timeout;
      entry.spec = std::move(spec);
      const std::string id = handle->id;
      entry.handle = std::move(*handle);
      desktops_[id] = std::move(entry);
      log::Main()->info("desktop {}: spare started for project {} (pool {})", id, project.name, pool->name);
      ++spares;
    }
  }
}

void DesktopPool::Maintain() {
  std::vector<std::pair<std::string, Entry>> snapshot;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, entry] : desktops_) {
      Entry seen;
      seen.pool = entry.pool;
      seen.project = entry.project;
      seen.slot = entry.slot;
      seen.session_id = entry.session_id;
      seen.ready_deadline = entry.ready_deadline;
      snapshot.emplace_back(id, std::move(seen));
    }
  }
  for (const auto& [id, seen] : snapshot) CheckDesktop(id, seen);
  Replenish();
}

void DesktopPool::StopMaintenance() {
  {
    std::lock_guard lock(run_mu_);
    stopping_ = true;
  }
  run_cv_.notify_all();
  if (runner_.joinable()) runner_.join();
}

void DesktopPool::RunMaintenance() {
  runner_ = std::thread([this] {
    std::unique_lock lock(run_mu_);
    while (!stopping_) {
      lock.unlock();
      Maintain();
      lock.lock();
      run_cv_.wait_for(lock, options_.maintain_interval, [this] { return stopping_; });
    }
  });
}

}  // namespace safedesk::broker
