#include "common/secret.h"

#include <openssl/crypto.h>

#include <cstring>

namespace safedesk {

Secret::Secret(std::string_view text) : Secret(std::span<const std::uint8_t>(
    reinterpret_cast<const std::uint8_t*>(text.data()), text.size())) {}

Secret::Secret(std::span<const std::uint8_t> bytes)
    : data_(new std::uint8_t[bytes.size() + 1]()), size_(bytes.size()) {
  if (!bytes.empty()) std::memcpy(data_.get(), bytes.data(), bytes.size());
}

Secret Secret::OfSize(std::size_t size) {
  Secret s;
  s.data_.reset(new std::uint8_t[size + 1]());
  s.size_ = size;
  return s;
}

Secret::~Secret() { Wipe(); }

Secret::Secret(Secret&& other) noexcept : data_(std::move(other.data_)), size_(other.size_) {
  other.size_ = 0;
}

Secret& Secret::operator=(Secret&& other) noexcept {
  if (this != &other) {
    Wipe();
    data_ = std::move(other.data_);
    size_ = other.size_;
    other.size_ = 0;
  }
  return *this;
}

std::string_view Secret::reveal() const {
  if (!data_) return {};
  return {reinterpret_cast<const char*>(data_.get()), size_};
}

bool Secret::Equals(std::span<const std::uint8_t> other) const {
  if (other.size() != size_) return false;
  if (size_ == 0) return true;
  return CRYPTO_memcmp(data_.get(), other.data(), size_) == 0;
}

Secret Secret::Clone() const { return Secret(bytes()); }

void Secret::Wipe() {
  if (data_) OPENSSL_cleanse(data_.get(), size_ + 1);
  data_.reset();
  size_ = 0;
}

void WipeBytes(void* data, std::size_t size) {
  if (data != nullptr && size > 0) OPENSSL_cleanse(data, size);
}

}  // namespace safedesk
