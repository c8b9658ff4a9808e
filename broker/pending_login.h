#pragma once
// Pending logins: the state between an accepted password and the second factor (or, on
// a first login, the enrollment of one). Server-side, in memory, keyed by the SHA-256 of
// a random cookie value (`__Host-safedesk-login`, same attributes as the session cookie),
// bound to the source address, alive for 5 minutes, single use (Take removes it).
//
// Why memory and not the Store: the state lives minutes, is worthless after a restart
// (the user types the password again) and WebAuthn's ceremonies beside it are in memory
// too. With several broker processes behind one name the balancer must keep a client on
// one process (the session cookie itself is in the Store and works everywhere).
//
// Bounded: at most `capacity` live entries; when full of live ones, Create refuses (fail
// closed) rather than evicting someone's half-finished login. Thread-safe.

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/random.h"
#include "common/result.h"
#include "common/secret.h"

namespace safedesk::broker {

inline constexpr std::string_view kPendingLoginCookieName = "__Host-safedesk-login";

struct PendingLoginOptions {
  std::chrono::seconds ttl{std::chrono::minutes(5)};
  // Far above the logins a deployment sees in 5 minutes; bounds what a flood of correct
  // passwords could make the broker hold.
  std::size_t capacity = 10'000;
  // Wrong first codes while enrolling before the user must type the password again.
  int max_enroll_failures = 5;
};

struct PendingLogin {
  std::string user;
  std::string source;
  std::int64_t expires_at = 0;  // Unix seconds
  int enroll_failures = 0;
};

// Why a presented pending login was refused; the client only sees "unauthenticated".
enum class PendingRejection { kMissing, kUnknown, kOtherSource, kExpired };
std::string_view PendingRejectionName(PendingRejection reason);

class PendingLogins {
 public:
  PendingLogins(Clock& clock, Random& random, PendingLoginOptions options = {});

  // A fresh pending login for `user` from `source`; returns the cookie value (once).
  // kLimitExceeded when full of live entries, kUnavailable without randomness.
  Result<Secret> Create(const std::string& user, const std::string& source);

  struct Found {
    std::optional<PendingLogin> login;
    std::optional<PendingRejection> rejection;
  };
  // The pending login named by the Cookie header, for this source, left in place (the
  // begin steps of a ceremony).
  Found Peek(std::string_view cookie_header, std::string_view source);
  // The same, removed: its single use (the steps that finish a login).
  Found Take(std::string_view cookie_header, std::string_view source);
  // Counts a wrong enrollment code; the entry is dropped at max_enroll_failures.
  void CountEnrollFailure(std::string_view cookie_header);

  std::string SetCookieHeader(const Secret& value) const;
  static std::string ClearCookieHeader();
  std::size_t size() const;

 private:
  Found Find(std::string_view cookie_header, std::string_view source, bool take);
  void PruneExpiredLocked(std::int64_t now);

  Clock& clock_;
  Random& random_;
  const PendingLoginOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, PendingLogin, std::less<>> entries_;  // SHA-256 hex of the cookie → login
};

}  // namespace safedesk::broker
