#pragma once
// The cryptography safedesk's formats share: SHA-256, Ed25519 signatures (audit
// checkpoints, tickets, recording seals) and AES-256-GCM (secrets at rest, recording
// chunks). OpenSSL types stay behind this header.

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/random.h"
#include "common/result.h"
#include "common/secret.h"

namespace safedesk {

using Sha256Digest = std::array<std::uint8_t, 32>;
using Ed25519Signature = std::array<std::uint8_t, 64>;

Sha256Digest Sha256(std::span<const std::uint8_t> data);

class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;
  void Update(std::span<const std::uint8_t> data);
  Sha256Digest Finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class Ed25519PublicKey {
 public:
  static Result<Ed25519PublicKey> FromRaw(std::span<const std::uint8_t> raw32);
  static Result<Ed25519PublicKey> FromPem(std::string_view pem);
  static Result<Ed25519PublicKey> LoadPemFile(const std::string& path);
  bool Verify(std::span<const std::uint8_t> message, std::span<const std::uint8_t> signature) const;
  const std::array<std::uint8_t, 32>& raw() const { return raw_; }
  std::string ToPem() const;

 private:
  std::array<std::uint8_t, 32> raw_{};
};

class Ed25519PrivateKey {
 public:
  static Result<Ed25519PrivateKey> Generate(Random& random);
  static Result<Ed25519PrivateKey> FromSeed(std::span<const std::uint8_t> seed32);
  static Result<Ed25519PrivateKey> FromPem(std::string_view pem);
  // Refuses a key file that group or others can read.
  static Result<Ed25519PrivateKey> LoadPemFile(const std::string& path);

  Ed25519Signature Sign(std::span<const std::uint8_t> message) const;
  const Ed25519PublicKey& public_key() const { return public_; }
  Secret ToPem() const;

 private:
  Secret seed_;
  Ed25519PublicKey public_;
};

// AES-256-GCM with a 12-byte nonce; output is ciphertext followed by the 16-byte tag.
constexpr std::size_t kAeadKeySize = 32;
constexpr std::size_t kAeadNonceSize = 12;
constexpr std::size_t kAeadTagSize = 16;
Result<std::vector<std::uint8_t>> AeadSeal(const Secret& key, std::span<const std::uint8_t> nonce,
                                           std::span<const std::uint8_t> aad,
                                           std::span<const std::uint8_t> plaintext);
Result<Secret> AeadOpen(const Secret& key, std::span<const std::uint8_t> nonce,
                        std::span<const std::uint8_t> aad,
                        std::span<const std::uint8_t> sealed);

// Reads a whole (small) file; for key files, refuses modes readable by group or others.
Result<std::string> ReadSmallFile(const std::string& path, std::size_t max_bytes);
Result<void> CheckPrivateFileMode(const std::string& path);

}  // namespace safedesk
