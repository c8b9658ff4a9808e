#include "broker/web_sessions.h"

#include <openssl/crypto.h>

#include "common/crypto.h"
#include "common/encoding.h"

namespace safedesk::broker {
namespace {

constexpr std::size_t kTokenBytes = 32;        // 256-bit session and CSRF tokens
constexpr std::size_t kMaxCookieValue = 128;   // base64url of 32 bytes is 43

std::string HashHex(std::string_view text) { return HexEncode(Sha256(AsBytes(text))); }

bool SameHash(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::string_view WebSessionRejectionName(WebSessionRejection reason) {
  switch (reason) {
    case WebSessionRejection::kMissing: return "missing";
    case WebSessionRejection::kUnknown: return "unknown";
    case WebSessionRejection::kOtherSource: return "other_source";
    case WebSessionRejection::kIdleExpired: return "idle_expired";
    case WebSessionRejection::kExpired: return "expired";
    case WebSessionRejection::kBadCsrf: return "bad_csrf";
  }
  return "unknown";
}

WebSessions::WebSessions(Store& store, Clock& clock, Random& random, WebSessionOptions options)
    : store_(store), clock_(clock), random_(random), options_(options) {}

Result<NewWebSession> WebSessions::Create(const std::string& user, const std::string& source,
                                          const std::string& factors) {
  auto cookie_bytes = random_.Bytes(kTokenBytes);
  auto csrf_bytes = random_.Bytes(kTokenBytes);
  if (!cookie_bytes || !csrf_bytes) return MakeError(Errc::kUnavailable, "no randomness for a session");
  Secret cookie(Base64UrlEncode(*cookie_bytes));
  WipeBytes(cookie_bytes->data(), cookie_bytes->size());
  std::string csrf = Base64UrlEncode(*csrf_bytes);
  const std::int64_t now = UnixSeconds(clock_.Now());
  WebSessionRecord record{HashHex(cookie.reveal()), user, source, HashHex(csrf), factors, now, now, now};
  SAFEDESK_TRY(store_.PutWebSession(record));
  return NewWebSession{std::move(cookie), std::move(csrf), std::move(record)};
}

Result<WebSessions::Checked> WebSessions::Check(std::string_view cookie_header, std::string_view source,
                                                bool state_changing, std::string_view csrf_header) {
  const std::string_view value = FindCookie(cookie_header, kSessionCookieName);
  if (value.empty() || value.size() > kMaxCookieValue) return Checked{std::nullopt, WebSessionRejection::kMissing};
  auto found = store_.FindWebSession(HashHex(value));
  if (!found) return found.error();
  if (!found->has_value()) return Checked{std::nullopt, WebSessionRejection::kUnknown};
  WebSessionRecord session = std::move(**found);
  const std::int64_t now = UnixSeconds(clock_.Now());
  if (session.source != source) return Checked{std::nullopt, WebSessionRejection::kOtherSource};
  if (now - session.created_at >= options_.absolute_ttl.count()) {
    SAFEDESK_TRY(store_.DeleteWebSession(session.token_hash));
    return Checked{std::nullopt, WebSessionRejection::kExpired};
  }
  if (now - session.last_seen >= options_.idle_ttl.count()) {
    SAFEDESK_TRY(store_.DeleteWebSession(session.token_hash));
    return Checked{std::nullopt, WebSessionRejection::kIdleExpired};
  }
  if (state_changing && (csrf_header.empty() || csrf_header.size() > kMaxCookieValue ||
                         !SameHash(HashHex(csrf_header), session.csrf_token_hash))) {
    return Checked{std::nullopt, WebSessionRejection::kBadCsrf};
  }
  session.last_seen = now;
  SAFEDESK_TRY(store_.PutWebSession(session));
  return Checked{std::move(session), std::nullopt};
}

Result<void> WebSessions::MarkStepUp(const WebSessionRecord& session) {
  WebSessionRecord updated = session;
  updated.step_up_at = UnixSeconds(clock_.Now());
  return store_.PutWebSession(updated);
}

Result<std::string> WebSessions::RotateCsrfToken(const WebSessionRecord& session) {
  auto bytes = random_.Bytes(kTokenBytes);
  if (!bytes) return MakeError(Errc::kUnavailable, "no randomness for a CSRF token");
  std::string csrf = Base64UrlEncode(*bytes);
  WebSessionRecord updated = session;
  updated.csrf_token_hash = HashHex(csrf);
  SAFEDESK_TRY(store_.PutWebSession(updated));
  return csrf;
}

Result<void> WebSessions::Destroy(const WebSessionRecord& session) {
  return store_.DeleteWebSession(session.token_hash);
}

std::string WebSessions::SetCookieHeader(const Secret& value) const {
  return std::string(kSessionCookieName) + "=" + std::string(value.reveal()) +
         "; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(options_.absolute_ttl.count());
}

std::string WebSessions::ClearCookieHeader() {
  return std::string(kSessionCookieName) + "=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0";
}

std::string_view FindCookie(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const std::size_t end = std::min(header.find(';'), header.size());
    std::string_view part = header.substr(0, end);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.size() > name.size() && part.substr(0, name.size()) == name && part[name.size()] == '=') {
      return part.substr(name.size() + 1);
    }
    header.remove_prefix(std::min(end + 1, header.size()));
  }
  return {};
}

}  // namespace safedesk::broker
