#pragma once
// The broker's desktop pools ([[pools]] in the configuration), on top of one
// DesktopProvider: per pool at most `max_desktops` desktops at a time (spares included),
// and `warm_spares` desktops per project of the pool started ahead of demand. A spare
// mounts its project's dataset from the start, so it serves only that project; it is
// handed out once (when its provider says ready: RDP up and, with an agent, the agent
// registered with every lockdown check passed), never reused, and stopped and wiped when
// its session ends like any desktop. DESIGN.md "Desktop pools" has the rules.
//
// The pool is itself a DesktopProvider, so session start, terminate and the admin pages
// use it unchanged. Maintain() (one pass; RunMaintenance calls it on a thread) brings
// spares up to strength, discards spares that failed or were not ready in time, stops
// desktops whose session has ended, and reports a live session's desktop that died to
// `on_lost` (which ends the session: session_start.h EndSessionOfLostDesktop).

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "broker/provider_desktop.h"
#include "broker/store/store.h"
#include "common/audit_event.h"
#include "common/clock.h"
#include "config/config.h"

namespace safedesk::broker {

// The desktop a session of `project` gets (its dataset, its pool's screen size); "" as
// session id for a spare. Session start and the pool both use it, so that a spare's
// spec equals the one a session would ask for.
DesktopSpec DesktopSpecFor(const config::Config& config, const ProjectRecord& project, const std::string& session_id);

// What the pool needs to know of a session that holds one of its desktops.
enum class SessionLiveness { kUnknown, kLive, kEnded };
using SessionLivenessFn = std::function<SessionLiveness(const std::string& session_id)>;
// A live session's desktop died; the pool stops the desktop right after.
using DesktopLostFn = std::function<void(const std::string& session_id, const std::string& desktop_id)>;

struct DesktopPoolOptions {
  // A spare not ready within this is discarded and replaced (a broken desktop, or an
  // agent that never registered).
  std::chrono::milliseconds spare_ready_timeout{60'000};
  // Each pass probes every desktop (a TCP connect to its RDP port): not much more often.
  std::chrono::milliseconds maintain_interval{500};
};

class DesktopPool final : public DesktopProvider {
 public:
  // `config` (the [[pools]]) and `store` (the projects, as administrators edit them:
  // broker/projects.h) must outlive the pool. A project whose pool is not configured, or
  // that the store cannot answer for, starts no desktop (fail closed).
  DesktopPool(DesktopProvider& inner, const config::Config& config, Store& store, const Clock& clock,
              AuditSink& audit, DesktopPoolOptions options = {});
  ~DesktopPool() override;
  DesktopPool(const DesktopPool&) = delete;
  DesktopPool& operator=(const DesktopPool&) = delete;

  // Both optional; set before RunMaintenance. Without `liveness`, in-use desktops are left
  // to Stop; without `on_lost`, a dead in-use desktop is only stopped.
  void SetSessionHooks(SessionLivenessFn liveness, DesktopLostFn on_lost);
  // Called after each desktop the pool stops (the agent registry forgets its agent, so a
  // stopped desktop is not reported as a silent agent).
  void SetStoppedHook(std::function<void(const std::string& desktop_id)> stopped);

  // A ready spare of spec.project if there is one (its handle, rebound to the session),
  // else a cold start. kLimitExceeded when the project's pool is full of desktops in use.
  Result<DesktopHandle> Start(const DesktopSpec& spec) override;
  Result<DesktopState> Probe(const std::string& id) override;
  Result<void> Stop(const std::string& id) override;
  std::vector<DesktopInfo> List() const override;
  Result<void> Admit(const DesktopSpec& spec) override;

  // One maintenance pass (see the file comment). Blocking: provider calls.
  void Maintain();
  // Maintain every options.maintain_interval on a thread until StopMaintenance (or the
  // destructor); stop it before what the session hooks use goes away.
  void RunMaintenance();
  void StopMaintenance();

  // For tests and the admin view: ids of spares (ready or starting) of a project.
  std::vector<std::string> SpareIds(const std::string& project) const;
  std::vector<std::string> ReadySpareIds(const std::string& project) const;

 private:
  enum class Slot { kSpareStarting, kSpareReady, kInUse };
  struct Entry {
    std::string pool;
    std::string project;
    Slot slot = Slot::kInUse;
    std::string session_id;                 // in use only
    std::optional<DesktopHandle> handle;    // spares only: handed to the session that takes it
    Clock::SteadyTime ready_deadline{};     // spares only
    DesktopSpec spec;                        // what it was started with: a spare serves only an equal spec
  };

  Result<const config::PoolConfig*> PoolOf(const std::string& project) const;
  void DropStaleSparesLocked(const std::vector<ProjectRecord>& projects, std::vector<std::string>& stale);
  int CountLocked(const std::string& pool) const;
  std::optional<DesktopHandle> TakeSpareLocked(const DesktopSpec& spec);
  bool EvictSpareLocked(const std::string& pool, std::vector<std::string>& to_stop);
  void CheckDesktop(const std::string& id, const Entry& seen);
  void DiscardSpare(const std::string& id, const std::string& reason);
  void Replenish();
  Result<void> StopInner(const std::string& id);

  DesktopProvider& inner_;
  const config::Config& config_;
  Store& store_;
  const Clock& clock_;
  AuditSink& audit_;
  DesktopPoolOptions options_;
  SessionLivenessFn liveness_;
  DesktopLostFn on_lost_;
  std::function<void(const std::string&)> stopped_;

  mutable std::mutex mu_;
  std::map<std::string, Entry> desktops_;
  std::map<std::string, Clock::SteadyTime> retry_after_;  // per project, after a failed spare start

  std::mutex run_mu_;
  std::condition_variable run_cv_;
  bool stopping_ = false;
  std::thread runner_;
};

}  // namespace safedesk::broker
