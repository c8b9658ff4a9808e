#pragma once
// Injectable randomness. Production code takes a Random&; OsRandom draws from OpenSSL's
// CSPRNG and fails closed (an error, never predictable bytes) if it cannot.

#include <cstdint>
#include <span>
#include <vector>

#include "common/result.h"

namespace safedesk {

class Random {
 public:
  virtual ~Random() = default;
  virtual Result<void> Fill(std::span<std::uint8_t> out) = 0;
  Result<std::vector<std::uint8_t>> Bytes(std::size_t n);
};

class OsRandom final : public Random {
 public:
  Result<void> Fill(std::span<std::uint8_t> out) override;
};

// The process-wide CSPRNG.
Random& SystemRandom();

// Deterministic bytes for tests (SplitMix64). Never use outside tests.
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(std::uint64_t seed) : state_(seed) {}
  Result<void> Fill(std::span<std::uint8_t> out) override;

 private:
  std::uint64_t state_;
};

}  // namespace safedesk
