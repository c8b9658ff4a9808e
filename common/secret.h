#pragma once
// Secret: bytes that must never be logged, formatted or left in memory. The buffer is
// allocated once at its final size (no reallocation copies) and wiped with
// OPENSSL_cleanse on destruction, on move-from and on Wipe(). There is deliberately no
// operator<<, no fmt::formatter and no implicit conversion to a string.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

namespace safedesk {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string_view text);
  explicit Secret(std::span<const std::uint8_t> bytes);
  // A zero-filled secret of `size` bytes, to be written through mutable_bytes().
  static Secret OfSize(std::size_t size);
  ~Secret();

  Secret(Secret&& other) noexcept;
  Secret& operator=(Secret&& other) noexcept;
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;

  std::span<const std::uint8_t> bytes() const { return {data_.get(), size_}; }
  std::span<std::uint8_t> mutable_bytes() { return {data_.get(), size_}; }
  // Views the bytes as text (for PAM and similar C APIs). Still a secret: do not log it.
  std::string_view reveal() const;
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Constant-time comparison (the time depends only on the lengths).
  bool Equals(std::span<const std::uint8_t> other) const;
  Secret Clone() const;
  void Wipe();

 private:
  std::unique_ptr<std::uint8_t[]> data_;
  std::size_t size_ = 0;
};

// Wipes a buffer that held secret material and that is not a Secret (a C API's buffer).
void WipeBytes(void* data, std::size_t size);

}  // namespace safedesk
