#pragma once
// The password factor's interface: one call, one outcome. Implementations: in-process PAM
// (pam_password.h) and the privileged helper (privsep_password.h); PasswordChecker
// (password_checker.h) runs either on a worker pool with lockout around it.
//
// To the broker: the outcome is for the audit log and the state machine. The client must
// get one generic answer for every refusal, or the outcomes become a user-enumeration and
// password-oracle channel.

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/secret.h"

namespace safedesk::auth {

enum class PasswordOutcome : std::uint8_t {
  kAccepted = 0,
  kWrongPassword = 1,
  kUnknownUser = 2,          // only where PAM says PAM_USER_UNKNOWN, or the name is malformed
  kEmptyPassword = 3,        // refused before PAM is called
  kAccountNotPermitted = 4,  // pam_acct_mgmt refused: expired, not allowed on the service
  kLockedOut = 5,            // refused by lockout before PAM is called
  kUnavailable = 6,          // PAM error, helper dead, pool full, timeout: fail closed
};

// Stable lower-case names ("accepted", "wrong_password", ...) for audit records and logs.
std::string_view PasswordOutcomeName(PasswordOutcome outcome);
// The outcome with this numeric value (the privsep wire code), or nullopt.
std::optional<PasswordOutcome> PasswordOutcomeFromCode(std::uint8_t code);

// Caps shared by every implementation (and the privsep wire format).
inline constexpr std::size_t kMaxUserBytes = 256;       // longer than any real login name
inline constexpr std::size_t kMaxPasswordBytes = 1024;  // any passphrase; pam_unix reads 512
inline constexpr std::size_t kMaxSourceBytes = 64;      // an IPv6 address with zone fits

class PasswordVerifier {
 public:
  virtual ~PasswordVerifier() = default;
  // Blocks (a failed PAM attempt takes about 2 s): call from a worker pool, never from a
  // network thread. `password` is wiped when the call returns.
  virtual PasswordOutcome Verify(std::string_view user, Secret password,
                                 std::string_view source_address) = 0;
};

// Checks that every implementation applies before calling PAM: a malformed user name
// (empty, too long, NUL or control bytes: PAM takes C strings) is kUnknownUser, an empty
// password kEmptyPassword, an over-long one or one with a NUL (PAM would see a shorter,
// different password) kWrongPassword. nullopt when the request may go to PAM.
std::optional<PasswordOutcome> PrecheckPasswordRequest(std::string_view user,
                                                       const Secret& password,
                                                       std::string_view source_address);

}  // namespace safedesk::auth
