#include "common/random.h"

#include <openssl/rand.h>

#include <climits>

namespace safedesk {

Result<std::vector<std::uint8_t>> Random::Bytes(std::size_t n) {
  std::vector<std::uint8_t> out(n);
  SAFEDESK_TRY(Fill(out));
  return out;
}

Result<void> OsRandom::Fill(std::span<std::uint8_t> out) {
  std::size_t done = 0;
  while (done < out.size()) {
    const std::size_t chunk = std::min<std::size_t>(out.size() - done, INT_MAX);
    if (RAND_bytes(out.data() + done, static_cast<int>(chunk)) != 1) {
      return MakeError(Errc::kUnavailable, "RAND_bytes failed");
    }
    done += chunk;
  }
  return Ok();
}

Random& SystemRandom() {
  static OsRandom random;
  return random;
}

Result<void> SeededRandom::Fill(std::span<std::uint8_t> out) {
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (i % 8 == 0) {
      state_ += 0x9e3779b97f4a7c15ULL;
    }
    std::uint64_t z = state_ + (i % 8);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    out[i] = static_cast<std::uint8_t>(z >> (8 * (i % 8)));
  }
  return Ok();
}

}  // namespace safedesk
