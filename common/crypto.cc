#include "common/crypto.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace safedesk {
namespace {

struct PkeyFree { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct MdCtxFree { void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); } };
struct CipherCtxFree { void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); } };
struct BioFree { void operator()(BIO* p) const { BIO_free(p); } };
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

Result<PkeyPtr> ReadPem(std::string_view pem, bool is_private) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return MakeError(Errc::kInternal, "BIO_new_mem_buf failed");
  EVP_PKEY* key = is_private ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)
                             : PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  if (key == nullptr) return MakeError(Errc::kInvalidArgument, "not a PEM key");
  PkeyPtr owned(key);
  if (EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
    return MakeError(Errc::kInvalidArgument, "key is not Ed25519");
  }
  return owned;
}

}  // namespace

Sha256Digest Sha256(std::span<const std::uint8_t> data) {
  Sha256Digest out{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

struct Sha256Hasher::Impl {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx{EVP_MD_CTX_new()};
};

Sha256Hasher::Sha256Hasher() : impl_(std::make_unique<Impl>()) {
  EVP_DigestInit_ex(impl_->ctx.get(), EVP_sha256(), nullptr);
}
Sha256Hasher::~Sha256Hasher() = default;
void Sha256Hasher::Update(std::span<const std::uint8_t> data) {
  EVP_DigestUpdate(impl_->ctx.get(), data.data(), data.size());
}
Sha256Digest Sha256Hasher::Finish() {
  Sha256Digest out{};
  unsigned int len = 0;
  EVP_DigestFinal_ex(impl_->ctx.get(), out.data(), &len);
  return out;
}

Result<Ed25519PublicKey> Ed25519PublicKey::FromRaw(std::span<const std::uint8_t> raw32) {
  if (raw32.size() != 32) return MakeError(Errc::kInvalidArgument, "Ed25519 public key must be 32 bytes");
  Ed25519PublicKey key;
  std::memcpy(key.raw_.data(), raw32.data(), 32);
  return key;
}

Result<Ed25519PublicKey> Ed25519PublicKey::FromPem(std::string_view pem) {
  auto pkey = ReadPem(pem, false);
  if (!pkey) return pkey.error();
  Ed25519PublicKey key;
  std::size_t len = key.raw_.size();
  if (EVP_PKEY_get_raw_public_key(pkey->get(), key.raw_.data(), &len) != 1 || len != 32) {
    return MakeError(Errc::kInvalidArgument, "cannot read Ed25519 public key");
  }
  return key;
}

Result<Ed25519PublicKey> Ed25519PublicKey::LoadPemFile(const std::string& path) {
  auto text = ReadSmallFile(path, 64 * 1024);
  if (!text) return text.error();
  auto key = FromPem(*text);
  if (!key) return MakeError(key.error().code, path + ": " + key.error().message);
  return key;
}

bool Ed25519PublicKey::Verify(std::span<const std::uint8_t> message,
                              std::span<const std::uint8_t> signature) const {
  if (signature.size() != 64) return false;
  PkeyPtr pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, raw_.data(), raw_.size()));
  if (!pkey) return false;
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(),
                          message.size()) == 1;
}

std::string Ed25519PublicKey::ToPem() const {
  PkeyPtr pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, raw_.data(), raw_.size()));
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PUBKEY(bio.get(), pkey.get());
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

Result<Ed25519PrivateKey> Ed25519PrivateKey::Generate(Random& random) {
  Secret seed = Secret::OfSize(32);
  SAFEDESK_TRY(random.Fill(seed.mutable_bytes()));
  return FromSeed(seed.bytes());
}

Result<Ed25519PrivateKey> Ed25519PrivateKey::FromSeed(std::span<const std::uint8_t> seed32) {
  if (seed32.size() != 32) return MakeError(Errc::kInvalidArgument, "Ed25519 seed must be 32 bytes");
  PkeyPtr pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed32.data(), 32));
  if (!pkey) return MakeError(Errc::kInternal, "cannot build Ed25519 key");
  Ed25519PrivateKey key;
  key.seed_ = Secret(seed32);
  std::array<std::uint8_t, 32> pub{};
  std::size_t len = pub.size();
  EVP_PKEY_get_raw_public_key(pkey.get(), pub.data(), &len);
  key.public_ = *Ed25519PublicKey::FromRaw(pub);
  return key;
}

Result<Ed25519PrivateKey> Ed25519PrivateKey::FromPem(std::string_view pem) {
  auto pkey = ReadPem(pem, true);
  if (!pkey) return pkey.error();
  Secret seed = Secret::OfSize(32);
  std::size_t len = 32;
  if (EVP_PKEY_get_raw_private_key(pkey->get(), seed.mutable_bytes().data(), &len) != 1 || len != 32) {
    return MakeError(Errc::kInvalidArgument, "cannot read Ed25519 private key");
  }
  return FromSeed(seed.bytes());
}

Result<Ed25519PrivateKey> Ed25519PrivateKey::LoadPemFile(const std::string& path) {
  SAFEDESK_TRY(CheckPrivateFileMode(path));
  auto text = ReadSmallFile(path, 64 * 1024);
  if (!text) return text.error();
  auto key = FromPem(*text);
  WipeBytes(text->data(), text->size());
  if (!key) return MakeError(key.error().code, path + ": " + key.error().message);
  return key;
}

Ed25519Signature Ed25519PrivateKey::Sign(std::span<const std::uint8_t> message) const {
  Ed25519Signature sig{};
  PkeyPtr pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed_.bytes().data(), 32));
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  std::size_t len = sig.size();
  const bool ok = pkey && ctx &&
                  EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) == 1 &&
                  EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) == 1;
  assert(ok && "Ed25519 signing cannot fail with a valid key");
  (void)ok;
  return sig;
}

Secret Ed25519PrivateKey::ToPem() const {
  PkeyPtr pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed_.bytes().data(), 32));
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_secmem()));
  PEM_write_bio_PrivateKey(bio.get(), pkey.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return Secret(std::string_view(data, static_cast<std::size_t>(len)));
}

Result<std::vector<std::uint8_t>> AeadSeal(const Secret& key, std::span<const std::uint8_t> nonce,
                                           std::span<const std::uint8_t> aad,
                                           std::span<const std::uint8_t> plaintext) {
  if (key.size() != kAeadKeySize || nonce.size() != kAeadNonceSize) {
    return MakeError(Errc::kInvalidArgument, "AES-256-GCM needs a 32-byte key and 12-byte nonce");
  }
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  std::vector<std::uint8_t> out(plaintext.size() + kAeadTagSize);
  int len = 0;
  int total = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.bytes().data(), nonce.data()) != 1 ||
      (!aad.empty() && EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1) ||
      EVP_EncryptUpdate(ctx.get(), out.data(), &len, plaintext.data(), static_cast<int>(plaintext.size())) != 1) {
    return MakeError(Errc::kInternal, "AES-256-GCM encryption failed");
  }
  total = len;
  if (EVP_EncryptFinal_ex(ctx.get(), out.data() + total, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kAeadTagSize, out.data() + plaintext.size()) != 1) {
    return MakeError(Errc::kInternal, "AES-256-GCM finalisation failed");
  }
  return out;
}

Result<Secret> AeadOpen(const Secret& key, std::span<const std::uint8_t> nonce,
                        std::span<const std::uint8_t> aad, std::span<const std::uint8_t> sealed) {
  if (key.size() != kAeadKeySize || nonce.size() != kAeadNonceSize || sealed.size() < kAeadTagSize) {
    return MakeError(Errc::kInvalidArgument, "AES-256-GCM input has the wrong size");
  }
  const std::size_t text_size = sealed.size() - kAeadTagSize;
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  Secret out = Secret::OfSize(text_size);
  int len = 0;
  std::array<std::uint8_t, kAeadTagSize> tag{};
  std::memcpy(tag.data(), sealed.data() + text_size, kAeadTagSize);
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.bytes().data(), nonce.data()) != 1 ||
      (!aad.empty() && EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1) ||
      EVP_DecryptUpdate(ctx.get(), out.mutable_bytes().data(), &len, sealed.data(), static_cast<int>(text_size)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kAeadTagSize, tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), out.mutable_bytes().data() + len, &len) != 1) {
    return MakeError(Errc::kCorrupt, "AES-256-GCM authentication failed");
  }
  return out;
}

Result<std::string> ReadSmallFile(const std::string& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(Errc::kIo, fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  std::string data;
  data.resize(max_bytes + 1);
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  data.resize(static_cast<std::size_t>(in.gcount()));
  if (data.size() > max_bytes) {
    return MakeError(Errc::kLimitExceeded, fmt::format("{}: larger than {} bytes", path, max_bytes));
  }
  return data;
}

Result<void> CheckPrivateFileMode(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) {
    return MakeError(Errc::kIo, fmt::format("{}: cannot stat: {}", path, std::strerror(errno)));
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return MakeError(Errc::kPermissionDenied,
                     fmt::format("{}: mode {:04o} lets group or others read a private key; chmod 600",
                                 path, st.st_mode & 07777));
  }
  return Ok();
}

}  // namespace safedesk
