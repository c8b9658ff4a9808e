#pragma once
// Server-side state of WebAuthn ceremonies between begin and finish. A ceremony is kept
// under an opaque random id, bound to its user and kind, expires after the TTL, and is
// single use: the first Take removes it whatever the outcome, and its id is remembered
// for one more TTL so a second attempt is reported as a reuse. The store is bounded:
// when full of live ceremonies it refuses new ones (fail closed) rather than evicting
// a user's pending login. Thread-safe.

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "auth/webauthn_reason.h"
#include "common/clock.h"
#include "common/random.h"
#include "common/result.h"

namespace safedesk::auth {

enum class CeremonyKind { kRegistration, kAssertion };

struct Ceremony {
  std::string user;
  CeremonyKind kind = CeremonyKind::kAssertion;
  std::vector<std::uint8_t> challenge;
  std::vector<std::uint8_t> user_handle;  // registration: the handle the credential gets
  bool require_user_verification = true;
};

inline constexpr std::size_t kCeremonyIdBytes = 16;

class WebAuthnChallengeStore {
 public:
  WebAuthnChallengeStore(Clock& clock, Random& random, std::chrono::seconds ttl, std::size_t capacity);

  // Keeps `ceremony` under a fresh id. kLimitExceeded when `capacity` live ceremonies are
  // pending; kInternal when no random id can be drawn.
  Result<std::string> Put(Ceremony ceremony);
  // Removes and returns the ceremony; challenge_unknown, challenge_expired or
  // challenge_reused otherwise.
  Checked<Ceremony> Take(std::string_view ceremony_id);
  std::size_t pending() const;

 private:
  struct Entry {
    Ceremony ceremony;
    Clock::SteadyTime expires;
  };
  void PruneExpiredLocked(Clock::SteadyTime now);
  void RememberConsumedLocked(const std::string& id, Clock::SteadyTime now);

  Clock& clock_;
  Random& random_;
  const std::chrono::seconds ttl_;
  const std::size_t capacity_;
  mutable std::mutex mu_;
  std::map<std::string, Entry, std::less<>> pending_;
  std::map<std::string, Clock::SteadyTime, std::less<>> consumed_;  // id → forget after
};

}  // namespace safedesk::auth
