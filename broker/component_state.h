#pragma once
// State behind the component API (API.md "Components"), each piece thread-safe and
// capped, shared through BrokerContext with the handlers that feed it:
//   VmCredentialVault  session start → gateway redeem: the per-session VM credential
//   TerminateOrders    admin terminate → gateway orders long-poll
//   AgentRegistry      agent register/heartbeat → desktop health (admin session list)

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "broker/provider_desktop.h"
#include "common/audit_event.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/result.h"
#include "common/secret.h"

namespace safedesk::broker {

// What the gateway needs to open one session's desktop, kept from start to redemption.
struct VmCredential {
  std::string endpoint;  // host:port
  std::string username;
  Secret password;       // never logged, never audited; wiped when the entry goes
  std::string grant_json;  // canonical SessionGrant JSON
  Sha256Digest grant_digest{};
  std::string desktop_id;  // the provider's id: the gateway matches the agent's mask feed by it
};

// In memory only: a broker restart loses the credentials, so unredeemed sessions must be
// started again (fail closed). Take hands a credential out once and forgets it.
class VmCredentialVault {
 public:
  // One entry per live, unredeemed session; more than this is a leak or an attack.
  static constexpr std::size_t kDefaultCapacity = 4096;

  explicit VmCredentialVault(std::size_t capacity = kDefaultCapacity) : capacity_(capacity) {}

  // Errors: kLimitExceeded when full (a start must then fail), kAlreadyExists on a reused id.
  Result<void> Put(const std::string& session_id, VmCredential credential);
  // The credential, removed from the vault; nullopt if absent or already taken.
  std::optional<VmCredential> Take(const std::string& session_id);
  // Drops (and wipes) an unredeemed credential: the session ended first.
  void Discard(const std::string& session_id);
  std::size_t size() const;

 private:
  mutable std::mutex mu_;
  std::size_t capacity_;
  std::map<std::string, VmCredential> by_session_;
};

// Puts a started desktop's credential into `vault` (a copy: the handle wipes its own);
// nothing when vault is null (no component API).
Result<void> KeepVmCredential(VmCredentialVault* vault, const std::string& session_id, const DesktopHandle& desktop,
                              const std::string& grant_json, const Sha256Digest& grant_digest);

struct TerminateOrder {
  std::string session_id;
  std::string reason;
};

// Orders gateways collect by long-polling, addressed by the gateway that redeemed the
// session (its certificate CN, bound at redemption): with several gateways per broker,
// each gets only the orders for sessions it holds. An order for a session no gateway has
// redeemed goes to every gateway that polls within kUnboundLifetime (none holds it; one
// redeeming it at that very moment still gets it), once each.
class TerminateOrders {
 public:
  // Live sessions are far fewer; past this, orders are dropped with a log line (the
  // session is already ended in the store and its desktop stopped either way).
  static constexpr std::size_t kDefaultCapacity = 4096;
  // Over two long-poll rounds (kMaxOrdersWait), so every polling gateway sees it.
  static constexpr std::chrono::seconds kUnboundLifetime{60};

  explicit TerminateOrders(const Clock& clock, std::size_t capacity = kDefaultCapacity)
      : clock_(clock), capacity_(capacity) {}

  // The gateway that redeemed `session_id`: its orders go there only. Unbound orders for
  // the session that this gateway has not yet taken move to it.
  void Bind(const std::string& session_id, const std::string& gateway);
  // The session ended on its gateway's side: no order needs to reach it any more.
  void Forget(const std::string& session_id);
  void Push(TerminateOrder order);
  // The orders for `gateway`, in the order they were pushed (its own, then unbound ones).
  std::vector<TerminateOrder> TakeFor(const std::string& gateway);
  // Orders not yet taken: bound ones, plus unbound ones still within their lifetime.
  std::size_t size();

 private:
  struct Unbound {
    TerminateOrder order;
    Clock::SteadyTime at;
    std::set<std::string> delivered_to;
  };
  void ExpireLocked();

  const Clock& clock_;
  std::size_t capacity_;
  std::mutex mu_;
  std::map<std::string, std::string> gateway_of_;           // session → gateway
  std::map<std::string, std::deque<TerminateOrder>> bound_;  // gateway → its orders
  std::size_t bound_count_ = 0;
  std::deque<Unbound> unbound_;
};

enum class AgentState { kUnknown, kHealthy, kSilent };
std::string_view AgentStateName(AgentState state);

// Whether a desktop may be handed out: kReady = its agent registered with every lockdown
// check passed and has heartbeaten within the timeout. Anything else fails closed.
enum class AgentReadiness { kUnknown, kReady, kLockdownFailed, kSilent };
std::string_view AgentReadinessName(AgentReadiness readiness);

// Last heartbeat and lockdown result per desktop. A desktop whose agent has been silent
// for `timeout` is unhealthy; the flip is audited once per silence (by Sweep or any state
// query).
class AgentRegistry {
 public:
  // One agent per desktop; desktops per broker are bounded far below this.
  static constexpr std::size_t kDefaultCapacity = 4096;

  AgentRegistry(const Clock& clock, AuditSink& audit, std::chrono::milliseconds timeout,
                std::size_t capacity = kDefaultCapacity);

  // Errors: kLimitExceeded when full. A re-register (agent restart) replaces the lockdown
  // result: only the agent's latest check counts.
  Result<void> Register(const std::string& desktop_id, bool lockdown_ok);
  // Errors: kNotFound for a desktop that never registered.
  Result<void> Heartbeat(const std::string& desktop_id);
  // A lockdown check failed after registering: the desktop stays not ready until the
  // agent registers again with every check passing.
  void MarkLockdownFailed(const std::string& desktop_id);
  void Forget(const std::string& desktop_id);

  AgentState State(const std::string& desktop_id);
  bool Healthy(const std::string& desktop_id) { return State(desktop_id) == AgentState::kHealthy; }
  // The provider's "agent ready" question (lockdown takes precedence over silence).
  AgentReadiness Readiness(const std::string& desktop_id);
  // Checks every desktop, auditing new silences; the service calls it on a timer.
  void Sweep();

 private:
  struct Entry {
    Clock::SteadyTime last_heartbeat;
    bool silence_reported = false;
    bool lockdown_ok = false;
  };
  // The entry's state; on a new silence, marks it reported and returns the audit event.
  AgentState StateLocked(const std::string& desktop_id, Entry& entry, std::vector<AuditEvent>& flips);
  void AuditFlips(const std::vector<AuditEvent>& flips);

  const Clock& clock_;
  AuditSink& audit_;
  std::chrono::milliseconds timeout_;
  std::size_t capacity_;
  std::mutex mu_;
  std::map<std::string, Entry> agents_;
};

}  // namespace safedesk::broker
