#include "auth/totp.h"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cstring>
#include <initializer_list>
#include <utility>

namespace safedesk::auth {
namespace {

const EVP_MD* Digest(TotpAlgorithm algorithm) {
  switch (algorithm) {
    case TotpAlgorithm::kSha1: return EVP_sha1();
    case TotpAlgorithm::kSha256: return EVP_sha256();
    case TotpAlgorithm::kSha512: return EVP_sha512();
  }
  return nullptr;
}

bool ValidParams(const TotpParams& p) {
  return Digest(p.algorithm) != nullptr && (p.digits == 6 || p.digits == 8) && p.step.count() > 0 &&
         p.step.count() <= 300;
}

// The code is checked for shape before any HMAC: a malformed code costs nothing and
// says nothing about the secret.
bool WellFormedCode(const Secret& code, int digits) {
  if (code.size() != static_cast<std::size_t>(digits)) return false;
  for (std::uint8_t c : code.bytes()) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Concatenates parts into one Secret of exactly the final size, so no growing buffer
// leaves partial copies of secret parts behind.
Secret ConcatSecret(std::initializer_list<std::string_view> parts) {
  std::size_t total = 0;
  for (std::string_view p : parts) total += p.size();
  Secret out = Secret::OfSize(total);
  std::size_t at = 0;
  for (std::string_view p : parts) {
    if (!p.empty()) std::memcpy(out.mutable_bytes().data() + at, p.data(), p.size());
    at += p.size();
  }
  return out;
}

// RFC 4648 base32 without padding, written straight into a Secret.
Secret Base32Secret(const Secret& secret) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  Secret out = Secret::OfSize((secret.size() * 8 + 4) / 5);
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t at = 0;
  for (std::uint8_t b : secret.bytes()) {
    acc = ((acc << 8) | b) & 0xfff;  // at most 12 live bits; older ones are already out
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.mutable_bytes()[at++] = static_cast<std::uint8_t>(kAlphabet[(acc >> bits) & 31]);
    }
  }
  if (bits > 0) out.mutable_bytes()[at] = static_cast<std::uint8_t>(kAlphabet[(acc << (5 - bits)) & 31]);
  return out;
}

bool ValidLabelPart(std::string_view s) {
  if (s.empty() || s.size() > kMaxTotpLabelPartSize) return false;
  for (char c : s) {
    auto b = static_cast<unsigned char>(c);
    if (c == ':' || b < 0x20 || b == 0x7f) return false;
  }
  return true;
}

std::string PercentEncode(std::string_view s) {
  std::string out;
  for (char c : s) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(c);
    } else {
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    }
  }
  return out;
}

}  // namespace

std::string_view TotpAlgorithmName(TotpAlgorithm algorithm) {
  switch (algorithm) {
    case TotpAlgorithm::kSha1: return "SHA1";
    case TotpAlgorithm::kSha256: return "SHA256";
    case TotpAlgorithm::kSha512: return "SHA512";
  }
  return "unknown";
}

Result<void> ValidateTotpOptions(const TotpOptions& options) {
  if (!ValidParams(options.params)) {
    return MakeError(Errc::kInvalidArgument, "TOTP needs SHA1/SHA256/SHA512, 6 or 8 digits, step 1..300 s");
  }
  // More than two steps each way widens the guessing window for little real benefit.
  if (options.skew_steps < 0 || options.skew_steps > 2) {
    return MakeError(Errc::kInvalidArgument, "TOTP skew must be 0..2 steps");
  }
  return Ok();
}

Result<Secret> ComputeTotpAtStep(const Secret& secret, const TotpParams& params, std::uint64_t counter) {
  if (!ValidParams(params)) return MakeError(Errc::kInvalidArgument, "invalid TOTP parameters");
  if (secret.empty()) return MakeError(Errc::kInvalidArgument, "empty TOTP secret");
  std::array<std::uint8_t, 8> message{};
  for (int i = 7; i >= 0; --i, counter >>= 8) message[static_cast<std::size_t>(i)] = counter & 0xff;
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_size = 0;
  if (HMAC(Digest(params.algorithm), secret.bytes().data(), static_cast<int>(secret.size()), message.data(),
           message.size(), mac.data(), &mac_size) == nullptr || mac_size < 20) {
    return MakeError(Errc::kInternal, "HMAC failed");
  }
  // RFC 4226 §5.3 dynamic truncation.
  std::size_t offset = mac[mac_size - 1] & 0x0f;
  std::uint32_t value = (static_cast<std::uint32_t>(mac[offset] & 0x7f) << 24) |
                        (static_cast<std::uint32_t>(mac[offset + 1]) << 16) |
                        (static_cast<std::uint32_t>(mac[offset + 2]) << 8) | mac[offset + 3];
  WipeBytes(mac.data(), mac.size());
  Secret code = Secret::OfSize(static_cast<std::size_t>(params.digits));
  for (std::size_t i = code.size(); i-- > 0; value /= 10) {
    code.mutable_bytes()[i] = static_cast<std::uint8_t>('0' + value % 10);
  }
  return code;
}

Result<Secret> ComputeTotp(const Secret& secret, const TotpParams& params, Clock::WallTime time) {
  std::int64_t unix = UnixSeconds(time);
  if (unix < 0 || params.step.count() <= 0) return MakeError(Errc::kInvalidArgument, "time before the epoch");
  return ComputeTotpAtStep(secret, params, static_cast<std::uint64_t>(unix / params.step.count()));
}

TotpVerifier::TotpVerifier(TotpOptions options, const Clock& clock) : options_(options), clock_(&clock) {
  assert(ValidateTotpOptions(options_).ok());
}

Result<TotpAccepted> TotpVerifier::Verify(const Secret& secret, const Secret& code,
                                          std::optional<std::uint64_t> last_accepted_step) const {
  // Checked again here because NDEBUG builds skip the constructor's assert, and a zero
  // step would divide by zero below.
  SAFEDESK_TRY(ValidateTotpOptions(options_));
  const TotpParams& params = options_.params;
  if (!WellFormedCode(code, params.digits)) {
    return MakeError(Errc::kInvalidArgument, fmt::format("TOTP code must be {} digits", params.digits));
  }
  std::int64_t now_step = UnixSeconds(clock_->Now()) / params.step.count();
  // Every candidate is computed and compared; the match is folded in with masks, so the
  // time taken does not depend on whether or where the code matched.
  std::uint64_t matched = 0;
  std::uint64_t matched_step = 0;
  for (std::int64_t s = now_step - options_.skew_steps; s <= now_step + options_.skew_steps; ++s) {
    if (s < 0) continue;
    auto candidate = ComputeTotpAtStep(secret, params, static_cast<std::uint64_t>(s));
    if (!candidate.ok()) return candidate.error();
    std::uint64_t equal = static_cast<std::uint64_t>(
        CRYPTO_memcmp(candidate->bytes().data(), code.bytes().data(), code.size()) == 0);
    std::uint64_t mask = 0 - equal;
    matched_step = (matched_step & ~mask) | (static_cast<std::uint64_t>(s) & mask);
    matched |= equal;
  }
  if (matched == 0) return MakeError(Errc::kUnauthenticated, "TOTP code does not match");
  if (last_accepted_step.has_value() && matched_step <= *last_accepted_step) {
    return MakeError(Errc::kReplay, "TOTP time step already used");
  }
  return TotpAccepted{matched_step};
}

Result<Secret> MakeOtpauthUri(std::string_view user, std::string_view issuer, const Secret& secret,
                              const TotpParams& params) {
  if (!ValidLabelPart(user) || !ValidLabelPart(issuer)) {
    return MakeError(Errc::kInvalidArgument,
                     fmt::format("TOTP user and issuer must be 1..{} bytes without ':' or control characters",
                                 kMaxTotpLabelPartSize));
  }
  if (!ValidParams(params)) return MakeError(Errc::kInvalidArgument, "invalid TOTP parameters");
  std::string encoded_issuer = PercentEncode(issuer);
  std::string head = fmt::format("otpauth://totp/{}:{}?secret=", encoded_issuer, PercentEncode(user));
  std::string tail = fmt::format("&issuer={}&algorithm={}&digits={}&period={}", encoded_issuer,
                                 TotpAlgorithmName(params.algorithm), params.digits, params.step.count());
  Secret base32 = Base32Secret(secret);
  return ConcatSecret({head, base32.reveal(), tail});
}

Result<TotpEnrollment> TotpEnrollment::Begin(std::string_view user, std::string_view issuer,
                                             const TotpOptions& options, Random& random) {
  SAFEDESK_TRY(ValidateTotpOptions(options));
  TotpEnrollment e;
  e.user_ = std::string(user);
  e.options_ = options;
  e.secret_ = Secret::OfSize(kTotpSecretSize);
  SAFEDESK_TRY(random.Fill(e.secret_.mutable_bytes()));
  auto uri = MakeOtpauthUri(user, issuer, e.secret_, options.params);
  if (!uri.ok()) return uri.error();
  e.uri_ = std::move(*uri);
  return e;
}

Result<TotpCredential> TotpEnrollment::Finish(const Secret& code, const Clock& clock) const {
  TotpVerifier verifier(options_, clock);
  auto accepted = verifier.Verify(secret_, code, std::nullopt);
  if (!accepted.ok()) return accepted.error();
  return TotpCredential{secret_.Clone(), options_.params, accepted->step};
}

std::optional<std::uint64_t> MemoryTotpStepStore::LastAccepted(std::string_view user) const {
  std::lock_guard lock(mu_);
  auto it = last_.find(user);
  if (it == last_.end()) return std::nullopt;
  return it->second;
}

void MemoryTotpStepStore::Set(std::string_view user, std::uint64_t step) {
  std::lock_guard lock(mu_);
  last_.insert_or_assign(std::string(user), step);
}

Result<TotpAccepted> MemoryTotpStepStore::VerifyAndRecord(const TotpVerifier& verifier, std::string_view user,
                                                          const Secret& secret, const Secret& code) {
  std::lock_guard lock(mu_);
  auto it = last_.find(user);
  std::optional<std::uint64_t> last;
  if (it != last_.end()) last = it->second;
  auto accepted = verifier.Verify(secret, code, last);
  if (accepted.ok()) last_.insert_or_assign(std::string(user), accepted->step);
  return accepted;
}

}  // namespace safedesk::auth
