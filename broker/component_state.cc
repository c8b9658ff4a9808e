#include "broker/component_state.h"

#include "common/audit_events.h"
#include "common/log.h"

namespace safedesk::broker {

Result<void> VmCredentialVault::Put(const std::string& session_id, VmCredential credential) {
  std::lock_guard lock(mu_);
  if (by_session_.contains(session_id)) {
    return MakeError(Errc::kAlreadyExists, "a VM credential is already kept for session " + session_id);
  }
  if (by_session_.size() >= capacity_) {
    return MakeError(Errc::kLimitExceeded, "VM credential vault full");
  }
  by_session_.emplace(session_id, std::move(credential));
  return Ok();
}

std::optional<VmCredential> VmCredentialVault::Take(const std::string& session_id) {
  std::lock_guard lock(mu_);
  auto found = by_session_.find(session_id);
  if (found == by_session_.end()) return std::nullopt;
  std::optional<VmCredential> taken(std::move(found->second));
  by_session_.erase(found);  // the moved-from Secret is empty; the entry's strings go too
  return taken;
}

void VmCredentialVault::Discard(const std::string& session_id) {
  std::lock_guard lock(mu_);
  by_session_.erase(session_id);  // ~Secret wipes the password
}

std::size_t VmCredentialVault::size() const {
  std::lock_guard lock(mu_);
  return by_session_.size();
}

Result<void> KeepVmCredential(VmCredentialVault* vault, const std::string& session_id, const DesktopHandle& desktop,
                              const std::string& grant_json, const Sha256Digest& grant_digest) {
  if (vault == nullptr) return Ok();
  return vault->Put(session_id, VmCredential{desktop.endpoint.ToString(), desktop.username,
                                             Secret(desktop.password.reveal()), grant_json, grant_digest,
                                             desktop.id});
}

void TerminateOrders::Bind(const std::string& session_id, const std::string& gateway) {
  std::lock_guard lock(mu_);
  if (gateway_of_.size() >= capacity_) {
    log::ForSession(session_id)->warn("terminate orders: {} sessions bound; this one's go to every gateway",
                                      gateway_of_.size());
    return;
  }
  gateway_of_[session_id] = gateway;
  for (Unbound& unbound : unbound_) {
    if (unbound.order.session_id != session_id || unbound.delivered_to.count(gateway) != 0) continue;
    unbound.delivered_to.insert(gateway);
    bound_[gateway].push_back(unbound.order);
    ++bound_count_;
  }
}

void TerminateOrders::Forget(const std::string& session_id) {
  std::lock_guard lock(mu_);
  gateway_of_.erase(session_id);
}

void TerminateOrders::Push(TerminateOrder order) {
  std::lock_guard lock(mu_);
  ExpireLocked();
  if (bound_count_ + unbound_.size() >= capacity_) {
    log::ForSession(order.session_id)->warn("terminate order dropped: {} orders pending",
                                            bound_count_ + unbound_.size());
    return;
  }
  const auto bound = gateway_of_.find(order.session_id);
  if (bound == gateway_of_.end()) {
    unbound_.push_back({std::move(order), clock_.Monotonic(), {}});
    return;
  }
  bound_[bound->second].push_back(std::move(order));
  ++bound_count_;
  gateway_of_.erase(bound);  // one order ends a session; nothing follows it
}

std::vector<TerminateOrder> TerminateOrders::TakeFor(const std::string& gateway) {
  std::lock_guard lock(mu_);
  ExpireLocked();
  std::vector<TerminateOrder> out;
  if (auto own = bound_.find(gateway); own != bound_.end()) {
    out.assign(std::make_move_iterator(own->second.begin()), std::make_move_iterator(own->second.end()));
    bound_count_ -= own->second.size();
    bound_.erase(own);
  }
  for (Unbound& unbound : unbound_) {
    if (unbound.delivered_to.insert(gateway).second) out.push_back(unbound.order);
  }
  return out;
}

std::size_t TerminateOrders::size() {
  std::lock_guard lock(mu_);
  ExpireLocked();
  return bound_count_ + unbound_.size();
}

void TerminateOrders::ExpireLocked() {
  const Clock::SteadyTime now = clock_.Monotonic();
  while (!unbound_.empty() && now - unbound_.front().at >= kUnboundLifetime) unbound_.pop_front();
}

std::string_view AgentStateName(AgentState state) {
  switch (state) {
    case AgentState::kHealthy: return "healthy";
    case AgentState::kSilent: return "silent";
    case AgentState::kUnknown: break;
  }
  return "unknown";
}

std::string_view AgentReadinessName(AgentReadiness readiness) {
  switch (readiness) {
    case AgentReadiness::kReady: return "ready";
    case AgentReadiness::kLockdownFailed: return "lockdown_failed";
    case AgentReadiness::kSilent: return "silent";
    case AgentReadiness::kUnknown: break;
  }
  return "unknown";
}

AgentRegistry::AgentRegistry(const Clock& clock, AuditSink& audit, std::chrono::milliseconds timeout,
                             std::size_t capacity)
    : clock_(clock), audit_(audit), timeout_(timeout), capacity_(capacity) {}

Result<void> AgentRegistry::Register(const std::string& desktop_id, bool lockdown_ok) {
  std::lock_guard lock(mu_);
  auto found = agents_.find(desktop_id);
  if (found == agents_.end() && agents_.size() >= capacity_) {
    return MakeError(Errc::kLimitExceeded, "agent registry full");
  }
  agents_[desktop_id] = Entry{clock_.Monotonic(), false, lockdown_ok};
  return Ok();
}

Result<void> AgentRegistry::Heartbeat(const std::string& desktop_id) {
  std::lock_guard lock(mu_);
  auto found = agents_.find(desktop_id);
  if (found == agents_.end()) return MakeError(Errc::kNotFound, "no agent registered for desktop " + desktop_id);
  found->second.last_heartbeat = clock_.Monotonic();
  found->second.silence_reported = false;
  return Ok();
}

void AgentRegistry::MarkLockdownFailed(const std::string& desktop_id) {
  std::lock_guard lock(mu_);
  if (auto found = agents_.find(desktop_id); found != agents_.end()) found->second.lockdown_ok = false;
}

void AgentRegistry::Forget(const std::string& desktop_id) {
  std::lock_guard lock(mu_);
  agents_.erase(desktop_id);
}

AgentState AgentRegistry::StateLocked(const std::string& desktop_id, Entry& entry, std::vector<AuditEvent>& flips) {
  const auto silent = clock_.Monotonic() - entry.last_heartbeat;
  if (silent < timeout_) return AgentState::kHealthy;
  if (!entry.silence_reported) {
    entry.silence_reported = true;
    flips.push_back(
        audit::AgentUnhealthy(desktop_id, std::chrono::duration_cast<std::chrono::seconds>(silent).count()));
  }
  return AgentState::kSilent;
}

// Outside the lock: an append waits for the disk.
void AgentRegistry::AuditFlips(const std::vector<AuditEvent>& flips) {
  for (const AuditEvent& event : flips) {
    log::Main()->warn("agent of desktop {} is silent", std::get<std::string>(*event.Find("desktop")));
    if (auto audited = audit_.Append(event); !audited) {
      log::Main()->error("audit append failed: {}", audited.error().message);
    }
  }
}

AgentState AgentRegistry::State(const std::string& desktop_id) {
  std::vector<AuditEvent> flips;
  AgentState state = AgentState::kUnknown;
  {
    std::lock_guard lock(mu_);
    auto found = agents_.find(desktop_id);
    if (found != agents_.end()) state = StateLocked(desktop_id, found->second, flips);
  }
  AuditFlips(flips);
  return state;
}

AgentReadiness AgentRegistry::Readiness(const std::string& desktop_id) {
  std::vector<AuditEvent> flips;
  AgentReadiness readiness = AgentReadiness::kUnknown;
  {
    std::lock_guard lock(mu_);
    auto found = agents_.find(desktop_id);
    if (found != agents_.end()) {
      const bool fresh = StateLocked(desktop_id, found->second, flips) == AgentState::kHealthy;
      readiness = !found->second.lockdown_ok ? AgentReadiness::kLockdownFailed
                  : fresh                    ? AgentReadiness::kReady
                                             : AgentReadiness::kSilent;
    }
  }
  AuditFlips(flips);
  return readiness;
}

void AgentRegistry::Sweep() {
  std::vector<AuditEvent> flips;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, entry] : agents_) (void)StateLocked(id, entry, flips);
  }
  AuditFlips(flips);
}

}  // namespace safedesk::broker
