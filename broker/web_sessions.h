#pragma once
// Browser sessions after login: a random cookie value (only its SHA-256 is stored), bound
// to the source address, with idle and absolute lifetimes, and a CSRF token that every
// state-changing request must echo in a header. The cookie is `__Host-` prefixed,
// HttpOnly, Secure, SameSite=Strict; no secret ever appears in a URL.

#include <chrono>
#include <string>
#include <string_view>

#include "broker/store/store.h"
#include "common/clock.h"
#include "common/random.h"
#include "common/result.h"
#include "common/secret.h"

namespace safedesk::broker {

inline constexpr std::string_view kSessionCookieName = "__Host-safedesk";
inline constexpr std::string_view kCsrfHeaderName = "X-CSRF-Token";

struct WebSessionOptions {
  std::chrono::seconds idle_ttl{std::chrono::minutes(30)};
  std::chrono::seconds absolute_ttl{std::chrono::hours(12)};
};

struct NewWebSession {
  Secret cookie_value;  // goes into Set-Cookie once, never logged
  std::string csrf_token;  // given to the page; echoed in X-CSRF-Token
  WebSessionRecord record;
};

// Why a presented session was refused; the client only ever sees "unauthenticated".
enum class WebSessionRejection { kMissing, kUnknown, kOtherSource, kIdleExpired, kExpired, kBadCsrf };
std::string_view WebSessionRejectionName(WebSessionRejection reason);

class WebSessions {
 public:
  WebSessions(Store& store, Clock& clock, Random& random, WebSessionOptions options);

  Result<NewWebSession> Create(const std::string& user, const std::string& source, const std::string& factors);

  // Checks the Cookie header's session for this source; for state-changing requests
  // also the CSRF header. On success, refreshes last_seen.
  struct Checked {
    std::optional<WebSessionRecord> session;
    std::optional<WebSessionRejection> rejection;
  };
  Result<Checked> Check(std::string_view cookie_header, std::string_view source, bool state_changing,
                        std::string_view csrf_header);

  Result<void> MarkStepUp(const WebSessionRecord& session);
  // A new CSRF token for the session (only its hash is stored, so GET /api/me can hand
  // the page a token only by replacing the old one).
  Result<std::string> RotateCsrfToken(const WebSessionRecord& session);
  Result<void> Destroy(const WebSessionRecord& session);

  std::string SetCookieHeader(const Secret& value) const;
  static std::string ClearCookieHeader();

 private:
  Store& store_;
  Clock& clock_;
  Random& random_;
  WebSessionOptions options_;
};

// The value of one cookie in a Cookie header, or empty.
std::string_view FindCookie(std::string_view cookie_header, std::string_view name);

}  // namespace safedesk::broker
