#include "auth/webauthn_challenge_store.h"

#include <array>
#include <cassert>
#include <iterator>

#include "auth/webauthn_limits.h"
#include "common/encoding.h"

namespace safedesk::auth {

WebAuthnChallengeStore::WebAuthnChallengeStore(Clock& clock, Random& random, std::chrono::seconds ttl,
                                               std::size_t capacity)
    : clock_(clock), random_(random), ttl_(ttl), capacity_(capacity) {
  assert(ttl > std::chrono::seconds(0) && capacity > 0);
}

Result<std::string> WebAuthnChallengeStore::Put(Ceremony ceremony) {
  std::array<std::uint8_t, kCeremonyIdBytes> raw{};
  if (!random_.Fill(raw).ok()) return MakeError(Errc::kInternal, "webauthn: no randomness for a ceremony id");
  std::string id = Base64UrlEncode(raw);
  const Clock::SteadyTime now = clock_.Monotonic();
  std::lock_guard lock(mu_);
  if (pending_.size() >= capacity_) PruneExpiredLocked(now);
  if (pending_.size() >= capacity_) {
    return MakeError(Errc::kLimitExceeded, "webauthn: too many pending ceremonies");
  }
  pending_.emplace(id, Entry{std::move(ceremony), now + ttl_});
  return id;
}

Checked<Ceremony> WebAuthnChallengeStore::Take(std::string_view ceremony_id) {
  if (ceremony_id.empty() || ceremony_id.size() > kMaxCeremonyIdChars) return WebAuthnReason::kChallengeUnknown;
  const Clock::SteadyTime now = clock_.Monotonic();
  std::lock_guard lock(mu_);
  if (auto it = pending_.find(ceremony_id); it != pending_.end()) {
    Entry entry = std::move(it->second);
    RememberConsumedLocked(it->first, now);
    pending_.erase(it);
    if (now >= entry.expires) return WebAuthnReason::kChallengeExpired;
    return std::move(entry.ceremony);
  }
  if (auto it = consumed_.find(ceremony_id); it != consumed_.end() && now < it->second) {
    return WebAuthnReason::kChallengeReused;
  }
  return WebAuthnReason::kChallengeUnknown;
}

std::size_t WebAuthnChallengeStore::pending() const {
  std::lock_guard lock(mu_);
  return pending_.size();
}

void WebAuthnChallengeStore::PruneExpiredLocked(Clock::SteadyTime now) {
  std::erase_if(pending_, [now](const auto& item) { return now >= item.second.expires; });
}

// The memory of consumed ids is bounded like the pending set; when it is full of live
// entries one is forgotten, and a later reuse of that id reads as challenge_unknown:
// still refused, only named less precisely.
void WebAuthnChallengeStore::RememberConsumedLocked(const std::string& id, Clock::SteadyTime now) {
  if (consumed_.size() >= capacity_) {
    std::erase_if(consumed_, [now](const auto& item) { return now >= item.second; });
  }
  if (consumed_.size() >= capacity_) consumed_.erase(consumed_.begin());
  consumed_.insert_or_assign(id, now + ttl_);
}

}  // namespace safedesk::auth
