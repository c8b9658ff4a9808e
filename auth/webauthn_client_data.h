#pragma once
// clientDataJSON (WebAuthn L2 §5.8.1): the browser's record of what it asked the
// authenticator to sign. libfido2 never sees it, only its hash, so these checks are the
// server's alone. The hash is taken over the exact bytes received, never over a
// re-serialisation: a re-encoded JSON (same meaning, other bytes) must fail the signature.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "auth/webauthn_reason.h"
#include "common/crypto.h"

namespace safedesk::auth {

inline constexpr std::string_view kClientDataTypeCreate = "webauthn.create";
inline constexpr std::string_view kClientDataTypeGet = "webauthn.get";

struct ClientDataExpectation {
  std::string_view type;                      // kClientDataTypeCreate or kClientDataTypeGet
  std::string_view challenge;                 // base64url, no padding, as issued
  std::span<const std::string> allowed_origins;
};

// Checks, in this order, type, challenge, origin and crossOrigin/topOrigin, and returns
// SHA-256 of the bytes.
Checked<Sha256Digest> CheckClientData(std::span<const std::uint8_t> client_data_json,
                                      const ClientDataExpectation& expected);

}  // namespace safedesk::auth
