#include "auth/factor_secret_box.h"

#include <fmt/format.h>

#include <array>
#include <vector>

#include "common/crypto.h"
#include "common/encoding.h"

namespace safedesk::auth {
namespace {

constexpr std::string_view kAadLabel = "safedesk-factor-secret-v1";
constexpr std::string_view kPrefix = "v1.";
// Sealed text of the largest plaintext: prefix, nonce, dot, base64url of text and tag.
constexpr std::size_t kMaxSealedSize = 3 + 16 + 1 + ((kMaxSecretBoxPlaintextSize + kAeadTagSize) * 4 + 2) / 3;

void AppendField(std::vector<std::uint8_t>& out, std::string_view field) {
  out.push_back(static_cast<std::uint8_t>(field.size() >> 8));
  out.push_back(static_cast<std::uint8_t>(field.size() & 0xff));
  out.insert(out.end(), field.begin(), field.end());
}

// Length-prefixed, so ("ab","c") and ("a","bc") can never produce the same AAD.
Result<std::vector<std::uint8_t>> MakeAad(std::string_view user, std::string_view kind) {
  if (user.empty() || user.size() > kMaxSecretBoxUserSize || kind.empty() || kind.size() > kMaxSecretBoxKindSize) {
    return MakeError(Errc::kInvalidArgument, "secret box user or factor kind empty or too long");
  }
  std::vector<std::uint8_t> aad(kAadLabel.begin(), kAadLabel.end());
  aad.push_back(0);
  AppendField(aad, kind);
  AppendField(aad, user);
  return aad;
}

Result<Secret> ParseKeyFileContent(const std::string& content) {
  if (content.size() == kAeadKeySize) return Secret(std::string_view(content));
  std::string_view text = content;
  if (text.ends_with('\n')) text.remove_suffix(1);
  if (text.ends_with('\r')) text.remove_suffix(1);
  if (text.size() != 2 * kAeadKeySize) {
    return MakeError(Errc::kInvalidArgument, "factor key file must hold 32 raw bytes or 64 hex digits");
  }
  auto bytes = HexDecode(text);
  if (!bytes) return MakeError(Errc::kInvalidArgument, "factor key file: not hex");
  Secret key(*bytes);
  WipeBytes(bytes->data(), bytes->size());
  return key;
}

}  // namespace

Result<FactorSecretBox> FactorSecretBox::LoadKeyFile(const std::string& path, Random& random) {
  SAFEDESK_TRY(CheckPrivateFileMode(path));
  auto content = ReadSmallFile(path, 2 * kAeadKeySize + 2);
  if (!content.ok()) return content.error();
  auto key = ParseKeyFileContent(*content);
  WipeBytes(content->data(), content->size());
  if (!key.ok()) return MakeError(key.error().code, fmt::format("{}: {}", path, key.error().message));
  return FromKey(std::move(*key), random);
}

Result<FactorSecretBox> FactorSecretBox::FromKey(Secret key, Random& random) {
  if (key.size() != kAeadKeySize) return MakeError(Errc::kInvalidArgument, "factor key must be 32 bytes");
  return FactorSecretBox(std::move(key), random);
}

Result<std::string> FactorSecretBox::Seal(std::string_view user, std::string_view factor_kind,
                                          const Secret& plaintext) const {
  if (plaintext.size() > kMaxSecretBoxPlaintextSize) {
    return MakeError(Errc::kLimitExceeded, "factor secret too large to seal");
  }
  auto aad = MakeAad(user, factor_kind);
  if (!aad.ok()) return aad.error();
  // A random nonce per seal: with one key and at most a few seals per user, the 2^-32
  // collision bound for 96-bit random nonces is never approached.
  std::array<std::uint8_t, kAeadNonceSize> nonce{};
  SAFEDESK_TRY(random_->Fill(nonce));
  auto sealed = AeadSeal(key_, nonce, *aad, plaintext.bytes());
  if (!sealed.ok()) return sealed.error();
  return fmt::format("{}{}.{}", kPrefix, Base64UrlEncode(nonce), Base64UrlEncode(*sealed));
}

Result<Secret> FactorSecretBox::Open(std::string_view user, std::string_view factor_kind,
                                     std::string_view sealed) const {
  if (sealed.size() > kMaxSealedSize) return MakeError(Errc::kLimitExceeded, "sealed factor secret too large");
  if (!sealed.starts_with(kPrefix)) return MakeError(Errc::kInvalidArgument, "sealed factor secret: unknown version");
  sealed.remove_prefix(kPrefix.size());
  auto dot = sealed.find('.');
  if (dot == std::string_view::npos) return MakeError(Errc::kInvalidArgument, "sealed factor secret: no separator");
  auto nonce = Base64UrlDecode(sealed.substr(0, dot));
  auto body = Base64UrlDecode(sealed.substr(dot + 1));
  if (!nonce || !body || nonce->size() != kAeadNonceSize || body->size() < kAeadTagSize) {
    return MakeError(Errc::kInvalidArgument, "sealed factor secret: bad encoding");
  }
  auto aad = MakeAad(user, factor_kind);
  if (!aad.ok()) return aad.error();
  return AeadOpen(key_, *nonce, *aad, *body);
}

}  // namespace safedesk::auth
