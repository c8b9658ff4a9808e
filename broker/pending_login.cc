#include "broker/pending_login.h"

#include "broker/web_sessions.h"
#include "common/crypto.h"
#include "common/encoding.h"

namespace safedesk::broker {
namespace {

constexpr std::size_t kTokenBytes = 32;       // 256-bit cookie value
constexpr std::size_t kMaxCookieValue = 128;  // base64url of 32 bytes is 43

std::string HashHex(std::string_view text) { return HexEncode(Sha256(AsBytes(text))); }

}  // namespace

std::string_view PendingRejectionName(PendingRejection reason) {
  switch (reason) {
    case PendingRejection::kMissing: return "pending_missing";
    case PendingRejection::kUnknown: return "pending_unknown";
    case PendingRejection::kOtherSource: return "pending_other_source";
    case PendingRejection::kExpired: return "pending_expired";
  }
  return "pending_unknown";
}

PendingLogins::PendingLogins(Clock& clock, Random& random, PendingLoginOptions options)
    : clock_(clock), random_(random), options_(options) {}

Result<Secret> PendingLogins::Create(const std::string& user, const std::string& source) {
  auto bytes = random_.Bytes(kTokenBytes);
  if (!bytes) return MakeError(Errc::kUnavailable, "no randomness for a pending login");
  Secret cookie(Base64UrlEncode(*bytes));
  WipeBytes(bytes->data(), bytes->size());
  const std::int64_t now = UnixSeconds(clock_.Now());
  std::lock_guard lock(mu_);
  if (entries_.size() >= options_.capacity) PruneExpiredLocked(now);
  if (entries_.size() >= options_.capacity) {
    return MakeError(Errc::kLimitExceeded, "pending logins full");
  }
  entries_[HashHex(cookie.reveal())] = PendingLogin{user, source, now + options_.ttl.count(), 0};
  return cookie;
}

PendingLogins::Found PendingLogins::Peek(std::string_view cookie_header, std::string_view source) {
  return Find(cookie_header, source, false);
}

PendingLogins::Found PendingLogins::Take(std::string_view cookie_header, std::string_view source) {
  return Find(cookie_header, source, true);
}

PendingLogins::Found PendingLogins::Find(std::string_view cookie_header, std::string_view source, bool take) {
  const std::string_view value = FindCookie(cookie_header, kPendingLoginCookieName);
  if (value.empty() || value.size() > kMaxCookieValue) return Found{std::nullopt, PendingRejection::kMissing};
  const std::string key = HashHex(value);
  const std::int64_t now = UnixSeconds(clock_.Now());
  std::lock_guard lock(mu_);
  const auto it = entries_.find(key);
  if (it == entries_.end()) return Found{std::nullopt, PendingRejection::kUnknown};
  if (now >= it->second.expires_at) {
    entries_.erase(it);
    return Found{std::nullopt, PendingRejection::kExpired};
  }
  // Left in place: a cookie replayed from elsewhere must not cancel the real user's login.
  if (it->second.source != source) return Found{std::nullopt, PendingRejection::kOtherSource};
  PendingLogin login = it->second;
  if (take) entries_.erase(it);
  return Found{std::move(login), std::nullopt};
}

void PendingLogins::CountEnrollFailure(std::string_view cookie_header) {
  const std::string_view value = FindCookie(cookie_header, kPendingLoginCookieName);
  if (value.empty() || value.size() > kMaxCookieValue) return;
  std::lock_guard lock(mu_);
  const auto it = entries_.find(HashHex(value));
  if (it != entries_.end() && ++it->second.enroll_failures >= options_.max_enroll_failures) entries_.erase(it);
}

std::string PendingLogins::SetCookieHeader(const Secret& value) const {
  return std::string(kPendingLoginCookieName) + "=" + std::string(value.reveal()) +
         "; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(options_.ttl.count());
}

std::string PendingLogins::ClearCookieHeader() {
  return std::string(kPendingLoginCookieName) + "=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0";
}

std::size_t PendingLogins::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

void PendingLogins::PruneExpiredLocked(std::int64_t now) {
  std::erase_if(entries_, [now](const auto& entry) { return now >= entry.second.expires_at; });
}

}  // namespace safedesk::broker
