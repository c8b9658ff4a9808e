#pragma once
// Failure counting and lockout for the password factor, per account and per source
// address, each in a sliding window. A locked subject is refused before PAM is called, so
// a locked account neither burns a pool thread for ~2 s per guess nor reveals whether the
// guess was right. Every counted failure is a login.failure audit event and every lock a
// login.lockout event.
//
// Memory is bounded: at most max_tracked_subjects per kind, the least recently used
// unlocked entry evicted first. A locked entry is never evicted (that would unlock it);
// when a table is full of locked entries new subjects are refused (kTrackingFull: fail
// closed) until locks expire.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/audit_event.h"
#include "common/clock.h"

namespace safedesk::auth {

struct LockoutOptions {
  int threshold = 5;  // failures in `window` that lock the subject
  std::chrono::seconds window{15 * 60};
  std::chrono::seconds lock_duration{15 * 60};
  std::size_t max_tracked_subjects = 10'000;  // per kind (accounts, sources)
};

enum class LockState { kOpen, kAccountLocked, kSourceLocked, kTrackingFull };

class Lockout {
 public:
  Lockout(LockoutOptions options, Clock& clock, AuditSink& audit);

  // Whether an attempt by `user` from `source` may go ahead now.
  LockState Check(std::string_view user, std::string_view source);

  // Counts a failed attempt against both subjects and audits it (`reason` is a
  // PasswordOutcomeName); locks a subject that reaches the threshold.
  void RecordFailure(std::string_view user, std::string_view source, std::string_view reason);

  // Audits an attempt refused without a verdict on the credentials (locked_out,
  // unavailable); not counted, so a lock is not extended by guesses made while locked.
  void RecordRefusal(std::string_view user, std::string_view source, std::string_view reason);

  // Clears the account's failures. The source's are kept: one valid account must not let
  // a source wipe its record while it guesses at others.
  void RecordSuccess(std::string_view user);

  std::size_t tracked_accounts() const;
  std::size_t tracked_sources() const;

 private:
  using Steady = Clock::SteadyTime;
  struct Entry {
    std::vector<Steady> failures;  // within the window, oldest first, at most `threshold`
    Steady locked_until{};
    std::list<std::string>::iterator lru;
  };
  // One kind of subject (accounts or sources) with its LRU order.
  struct Table {
    std::unordered_map<std::string, Entry> entries;
    std::list<std::string> lru;  // most recently used first
  };

  bool IsLocked(const Table& table, std::string_view subject, Steady now) const;
  bool IsFull(const Table& table, Steady now) const;
  Entry* Touch(Table& table, std::string_view subject, Steady now);
  bool EvictOne(Table& table, Steady now);
  // Appends a login.lockout event to `locks` when this failure locks the subject.
  void CountFailure(Table& table, std::string_view kind, std::string_view subject, Steady now,
                    std::vector<AuditEvent>& locks);
  void Emit(const AuditEvent& event);

  const LockoutOptions options_;
  Clock& clock_;
  AuditSink& audit_;
  mutable std::mutex mu_;
  Table accounts_;
  Table sources_;
};

}  // namespace safedesk::auth
