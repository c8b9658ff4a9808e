#pragma once
// TOTP second factor (RFC 6238 over RFC 4226 HOTP). Enrollment is begin/finish: the
// secret becomes a credential only after the user proves, with a first valid code, that
// the authenticator holds it. Verification is constant-time across the ±skew window and
// refuses any time step at or before the last one accepted for that user (RFC 6238 §5.2).
// The last accepted step is the caller's state: the broker stores it beside the sealed
// secret; MemoryTotpStepStore does the same in memory for tests and single processes.

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

namespace safedesk::auth {

enum class TotpAlgorithm { kSha1, kSha256, kSha512 };
// "SHA1", "SHA256", "SHA512" as in otpauth:// URIs.
std::string_view TotpAlgorithmName(TotpAlgorithm algorithm);

struct TotpParams {
  TotpAlgorithm algorithm = TotpAlgorithm::kSha1;  // what most authenticator apps support
  int digits = 6;                                  // 6 or 8
  std::chrono::seconds step{30};
};

struct TotpOptions {
  TotpParams params;
  int skew_steps = 1;  // codes from this many steps early or late are accepted (0..2)
};
Result<void> ValidateTotpOptions(const TotpOptions& options);

// 160 bits, RFC 4226 §4's recommended secret length.
inline constexpr std::size_t kTotpSecretSize = 20;
// Issuer and account names are short labels; the cap keeps the URI (and QR code) small.
inline constexpr std::size_t kMaxTotpLabelPartSize = 64;

// The code for `time` (T = floor(unix / step), T0 = 0). The code is a Secret.
Result<Secret> ComputeTotp(const Secret& secret, const TotpParams& params, Clock::WallTime time);
// The code for time step `counter`.
Result<Secret> ComputeTotpAtStep(const Secret& secret, const TotpParams& params, std::uint64_t counter);

struct TotpAccepted {
  std::uint64_t step = 0;  // persist this as the user's last accepted step
};

class TotpVerifier {
 public:
  // Options must validate (ValidateTotpOptions); an invalid set is a programming error.
  TotpVerifier(TotpOptions options, const Clock& clock);

  // Errors: kInvalidArgument (wrong length or a non-digit: refused before any HMAC),
  // kUnauthenticated (no step in the window matches), kReplay (the matching step is not
  // after `last_accepted_step`). Messages never contain the code.
  Result<TotpAccepted> Verify(const Secret& secret, const Secret& code,
                              std::optional<std::uint64_t> last_accepted_step) const;

  const TotpOptions& options() const { return options_; }

 private:
  TotpOptions options_;
  const Clock* clock_;
};

// What the broker keeps once enrollment is finished: seal `secret` with FactorSecretBox,
// store params and last_accepted_step.
struct TotpCredential {
  Secret secret;
  TotpParams params;
  std::uint64_t last_accepted_step = 0;
};

class TotpEnrollment {
 public:
  // A fresh 160-bit secret and its otpauth:// URI. User and issuer must be 1..64 bytes,
  // without ':' (the URI's label separator) or control characters.
  static Result<TotpEnrollment> Begin(std::string_view user, std::string_view issuer,
                                      const TotpOptions& options, Random& random);

  // Shown once as a QR code; it holds the secret, so it is a Secret too.
  const Secret& otpauth_uri() const { return uri_; }
  const Secret& secret() const { return secret_; }
  const std::string& user() const { return user_; }

  // Succeeds only with a valid code for the current window; the step it matched becomes
  // the credential's last accepted step, so the enrolling code can't be replayed at login.
  Result<TotpCredential> Finish(const Secret& code, const Clock& clock) const;

 private:
  TotpEnrollment() = default;
  std::string user_;
  TotpOptions options_;
  Secret secret_;
  Secret uri_;
};

// otpauth://totp/<issuer>:<user>?secret=...&issuer=...&algorithm=...&digits=...&period=...
// with issuer and user percent-encoded (RFC 3986 unreserved characters kept).
Result<Secret> MakeOtpauthUri(std::string_view user, std::string_view issuer, const Secret& secret,
                              const TotpParams& params);

// Last accepted step per user, in memory. VerifyAndRecord holds the lock across verify and
// record, so the same code presented twice at once is accepted at most once.
class MemoryTotpStepStore {
 public:
  std::optional<std::uint64_t> LastAccepted(std::string_view user) const;
  void Set(std::string_view user, std::uint64_t step);

  Result<TotpAccepted> VerifyAndRecord(const TotpVerifier& verifier, std::string_view user,
                                       const Secret& secret, const Secret& code);

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::uint64_t, std::less<>> last_;
};

}  // namespace safedesk::auth
