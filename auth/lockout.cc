#include "auth/lockout.h"

#include <algorithm>

#include "common/audit_events.h"
#include "common/log.h"

namespace safedesk::auth {
namespace {

constexpr std::string_view kAccount = "account";
constexpr std::string_view kSource = "source";
constexpr std::string_view kFactor = "password";

}  // namespace

Lockout::Lockout(LockoutOptions options, Clock& clock, AuditSink& audit)
    : options_(options), clock_(clock), audit_(audit) {}

LockState Lockout::Check(std::string_view user, std::string_view source) {
  std::lock_guard lock(mu_);
  const Steady now = clock_.Monotonic();
  if (IsLocked(accounts_, user, now)) return LockState::kAccountLocked;
  if (!source.empty() && IsLocked(sources_, source, now)) return LockState::kSourceLocked;
  const bool account_known = accounts_.entries.contains(std::string(user));
  const bool source_known = source.empty() || sources_.entries.contains(std::string(source));
  if ((!account_known && IsFull(accounts_, now)) || (!source_known && IsFull(sources_, now))) {
    return LockState::kTrackingFull;
  }
  return LockState::kOpen;
}

void Lockout::RecordFailure(std::string_view user, std::string_view source,
                            std::string_view reason) {
  std::vector<AuditEvent> locks;
  {
    std::lock_guard lock(mu_);
    const Steady now = clock_.Monotonic();
    CountFailure(accounts_, kAccount, user, now, locks);
    if (!source.empty()) CountFailure(sources_, kSource, source, now, locks);
  }
  // Emitted outside the lock: a durable audit append may take a disk flush.
  Emit(audit::LoginFailure(user, source, kFactor, reason));
  for (const auto& event : locks) Emit(event);
}

void Lockout::RecordRefusal(std::string_view user, std::string_view source,
                            std::string_view reason) {
  Emit(audit::LoginFailure(user, source, kFactor, reason));
}

void Lockout::RecordSuccess(std::string_view user) {
  std::lock_guard lock(mu_);
  auto it = accounts_.entries.find(std::string(user));
  if (it == accounts_.entries.end()) return;
  // A success cannot happen while locked (Check refuses first), so this never unlocks.
  if (it->second.locked_until > clock_.Monotonic()) return;
  accounts_.lru.erase(it->second.lru);
  accounts_.entries.erase(it);
}

std::size_t Lockout::tracked_accounts() const {
  std::lock_guard lock(mu_);
  return accounts_.entries.size();
}

std::size_t Lockout::tracked_sources() const {
  std::lock_guard lock(mu_);
  return sources_.entries.size();
}

bool Lockout::IsLocked(const Table& table, std::string_view subject, Steady now) const {
  auto it = table.entries.find(std::string(subject));
  return it != table.entries.end() && it->second.locked_until > now;
}

bool Lockout::IsFull(const Table& table, Steady now) const {
  if (table.entries.size() < options_.max_tracked_subjects) return false;
  return std::none_of(table.entries.begin(), table.entries.end(),
                      [now](const auto& kv) { return kv.second.locked_until <= now; });
}

Lockout::Entry* Lockout::Touch(Table& table, std::string_view subject, Steady now) {
  auto it = table.entries.find(std::string(subject));
  if (it != table.entries.end()) {
    table.lru.splice(table.lru.begin(), table.lru, it->second.lru);
    return &it->second;
  }
  if (table.entries.size() >= options_.max_tracked_subjects && !EvictOne(table, now)) {
    return nullptr;
  }
  table.lru.emplace_front(subject);
  Entry& entry = table.entries[table.lru.front()];
  entry.lru = table.lru.begin();
  return &entry;
}

bool Lockout::EvictOne(Table& table, Steady now) {
  for (auto it = table.lru.rbegin(); it != table.lru.rend(); ++it) {
    auto found = table.entries.find(*it);
    if (found->second.locked_until > now) continue;  // evicting would unlock it
    table.lru.erase(found->second.lru);
    table.entries.erase(found);
    return true;
  }
  return false;
}

void Lockout::CountFailure(Table& table, std::string_view kind, std::string_view subject,
                           Steady now, std::vector<AuditEvent>& locks) {
  Entry* entry = Touch(table, subject, now);
  if (entry == nullptr) {
    // Full of locked subjects; Check() already refuses untracked ones, so only a race
    // with a concurrent attempt gets here.
    log::Main()->warn("lockout: {} table full of locked entries, failure not counted", kind);
    return;
  }
  if (entry->locked_until > now) return;
  auto& failures = entry->failures;
  const Steady window_start = now - options_.window;
  failures.erase(failures.begin(),
                 std::find_if(failures.begin(), failures.end(),
                              [window_start](Steady t) { return t > window_start; }));
  failures.push_back(now);
  if (static_cast<int>(failures.size()) < options_.threshold) return;
  entry->locked_until = now + options_.lock_duration;
  const auto count = static_cast<std::int64_t>(failures.size());
  failures.clear();
  locks.push_back(audit::AccountLocked(kind, subject, count, options_.lock_duration.count()));
}

void Lockout::Emit(const AuditEvent& event) {
  if (auto appended = audit_.Append(event); !appended.ok()) {
    // The attempt is refused either way; losing the record is what must be visible.
    log::Main()->error("lockout: audit append of {} failed: {}", event.type,
                       appended.error().message);
  }
}

}  // namespace safedesk::auth
