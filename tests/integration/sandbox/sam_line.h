#pragma once
// The SAM line for a test credential, as broker::SamFileLine makes it (MD4 of the UTF-16LE
// password), without linking the whole broker into the sandbox tests.

#include <openssl/evp.h>
#include <openssl/provider.h>

#include <string>
#include <string_view>

#include "common/result.h"
#include "common/secret.h"

namespace safedesk::sandbox {

inline Result<Secret> TestSamLine(std::string_view user, const Secret& password) {
  static OSSL_LIB_CTX* ctx = [] {
    OSSL_LIB_CTX* c = OSSL_LIB_CTX_new();
    OSSL_PROVIDER_load(c, "legacy");
    return c;
  }();
  EVP_MD* md4 = EVP_MD_fetch(ctx, "MD4", nullptr);
  if (md4 == nullptr) return MakeError(Errc::kUnavailable, "no MD4");
  std::string utf16;
  for (char c : password.reveal()) utf16 += std::string{c, '\0'};
  unsigned char hash[16];
  unsigned int length = 0;
  EVP_Digest(utf16.data(), utf16.size(), hash, &length, md4, nullptr);
  EVP_MD_free(md4);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string line = std::string(user) + ":::";
  for (unsigned char b : hash) line += std::string{kHex[b >> 4], kHex[b & 15]};
  return Secret(line + ":::\n");
}

}  // namespace safedesk::sandbox
