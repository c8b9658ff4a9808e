#include "auth/webauthn_authdata.h"

#include <cbor.h>

#include <algorithm>

#include "auth/webauthn_cbor.h"
#include "auth/webauthn_limits.h"

namespace safedesk::auth {
namespace {

namespace cb = webauthn_cbor;

constexpr std::size_t kCredentialIdLengthBytes = 2;

// Reads attested credential data at `pos`, advancing it past the COSE key.
Checked<AttestedCredential> ParseAttested(std::span<const std::uint8_t> data, std::size_t& pos) {
  if (data.size() - pos < kAaguidBytes + kCredentialIdLengthBytes) return WebAuthnReason::kMalformed;
  AttestedCredential attested;
  std::copy_n(data.begin() + static_cast<std::ptrdiff_t>(pos), kAaguidBytes, attested.aaguid.begin());
  pos += kAaguidBytes;
  const std::size_t id_length = (std::size_t{data[pos]} << 8) | data[pos + 1];
  pos += kCredentialIdLengthBytes;
  if (id_length == 0) return WebAuthnReason::kMalformed;
  if (id_length > kMaxCredentialIdBytes) return WebAuthnReason::kTooLarge;
  if (data.size() - pos < id_length) return WebAuthnReason::kMalformed;
  const auto id = data.subspan(pos, id_length);
  attested.credential_id.assign(id.begin(), id.end());
  pos += id_length;

  const std::optional<std::size_t> key_size = cb::ScanCborItem(data.subspan(pos));
  if (!key_size) return WebAuthnReason::kMalformed;
  if (*key_size > kMaxCoseKeyBytes) return WebAuthnReason::kTooLarge;
  const auto key_bytes = data.subspan(pos, *key_size);
  Checked<CosePublicKey> key = ParseCosePublicKey(key_bytes);
  if (!key.ok()) return key.reason();
  attested.cose_key.assign(key_bytes.begin(), key_bytes.end());
  attested.public_key = std::move(key).value();
  pos += *key_size;
  return attested;
}

// Picks out the extension outputs libfido2 compares at registration; the types are the
// ones CTAP 2.1 defines, anything else is malformed rather than silently dropped.
Verdict ReadKnownExtension(std::string_view name, const cbor_item_t* value, AuthDataExtensions& out) {
  if (name == "credProtect") {
    const auto level = cb::IntOf(value);
    if (!level || *level < 1 || *level > 3) return WebAuthnReason::kMalformed;
    out.cred_protect = static_cast<int>(*level);
  } else if (name == "minPinLength") {
    const auto length = cb::IntOf(value);
    if (!length || *length < 0) return WebAuthnReason::kMalformed;
    out.min_pin_length = static_cast<std::uint64_t>(*length);
  } else if (name == "hmac-secret" || name == "credBlob") {
    // Registration outputs are booleans; assertion outputs are byte strings.
    const auto flag = cb::BoolOf(value);
    if (!flag && !cb::BytesOf(value)) return WebAuthnReason::kMalformed;
    bool& target = name == "hmac-secret" ? out.hmac_secret : out.cred_blob;
    target = flag.value_or(false);
  }
  return kPassed;
}

Checked<AuthDataExtensions> ParseExtensions(std::span<const std::uint8_t> data, std::size_t& pos) {
  const std::optional<std::size_t> size = cb::ScanCborItem(data.subspan(pos));
  if (!size) return WebAuthnReason::kMalformed;
  if (*size > kMaxExtensionBytes) return WebAuthnReason::kTooLarge;
  cb::Item map = cb::LoadCborExact(data.subspan(pos, *size));
  if (!map || !cbor_isa_map(map.get()) || !cb::KeysUnique(map.get())) return WebAuthnReason::kMalformed;
  AuthDataExtensions extensions;
  extensions.present = true;
  const cbor_pair* pairs = cbor_map_handle(map.get());
  for (std::size_t i = 0; i < cbor_map_size(map.get()); ++i) {
    const auto name = cb::TextOf(pairs[i].key);
    if (!name) return WebAuthnReason::kMalformed;
    if (Verdict v = ReadKnownExtension(*name, pairs[i].value, extensions)) return *v;
  }
  pos += *size;
  return extensions;
}

}  // namespace

Checked<AuthenticatorData> ParseAuthenticatorData(std::span<const std::uint8_t> data) {
  if (data.size() < kAuthDataFixedBytes) return WebAuthnReason::kMalformed;
  AuthenticatorData parsed;
  std::copy_n(data.begin(), kRpIdHashBytes, parsed.rp_id_hash.begin());
  parsed.flags = data[kFlagsOffset];
  for (std::size_t i = 0; i < 4; ++i) {
    parsed.sign_count = (parsed.sign_count << 8) | data[kSignCountOffset + i];
  }
  std::size_t pos = kAuthDataFixedBytes;
  if ((parsed.flags & kFlagAttestedCredential) != 0) {
    Checked<AttestedCredential> attested = ParseAttested(data, pos);
    if (!attested.ok()) return attested.reason();
    parsed.attested = std::move(attested).value();
  }
  if ((parsed.flags & kFlagExtensions) != 0) {
    Checked<AuthDataExtensions> extensions = ParseExtensions(data, pos);
    if (!extensions.ok()) return extensions.reason();
    parsed.extensions = std::move(extensions).value();
  }
  if (pos != data.size()) return WebAuthnReason::kMalformed;
  return parsed;
}

}  // namespace safedesk::auth
