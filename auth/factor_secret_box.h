#pragma once
// FactorSecretBox: second-factor secrets at rest (TOTP seeds today). AES-256-GCM under a
// 32-byte key from a private key file, a fresh random 12-byte nonce per seal, and
// additional data binding the user and the factor kind, so a sealed value copied into
// another user's row (or another factor's column) fails to open.
//
// Sealed text: "v1." base64url(nonce) "." base64url(ciphertext || tag), no padding.

#include <string>
#include <string_view>

#include "common/random.h"
#include "common/result.h"
#include "common/secret.h"

namespace safedesk::auth {

// A user name longer than this is not a user name; it also bounds the AAD.
inline constexpr std::size_t kMaxSecretBoxUserSize = 256;
// Factor kinds are short words ("totp").
inline constexpr std::size_t kMaxSecretBoxKindSize = 32;
// Factor secrets are small (a TOTP seed is 20 bytes); 1 KiB leaves room, bounds parsing.
inline constexpr std::size_t kMaxSecretBoxPlaintextSize = 1024;

class FactorSecretBox {
 public:
  // The key file holds either 32 raw bytes or 64 hex digits (an optional trailing
  // newline allowed: `openssl rand -hex 32`). Refuses a file group or others can read.
  static Result<FactorSecretBox> LoadKeyFile(const std::string& path, Random& random);
  // `key` must be 32 bytes.
  static Result<FactorSecretBox> FromKey(Secret key, Random& random);

  Result<std::string> Seal(std::string_view user, std::string_view factor_kind, const Secret& plaintext) const;
  // kCorrupt if the text was altered, or sealed for another user or factor kind, or
  // under another key; kInvalidArgument if it is not sealed text at all.
  Result<Secret> Open(std::string_view user, std::string_view factor_kind, std::string_view sealed) const;

 private:
  FactorSecretBox(Secret key, Random& random) : key_(std::move(key)), random_(&random) {}
  Secret key_;
  Random* random_;
};

}  // namespace safedesk::auth
