#include "auth/webauthn_fido.h"

#include <fido.h>
#include <fido/eddsa.h>
#include <fido/es256.h>
#include <fido/rs256.h>
#include <openssl/evp.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace safedesk::auth {
namespace {

void FidoInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { fido_init(0); });
}

struct AssertDeleter {
  void operator()(fido_assert_t* p) const { fido_assert_free(&p); }
};
struct CredDeleter {
  void operator()(fido_cred_t* p) const { fido_cred_free(&p); }
};
struct Es256Deleter {
  void operator()(es256_pk_t* p) const { es256_pk_free(&p); }
};
struct Rs256Deleter {
  void operator()(rs256_pk_t* p) const { rs256_pk_free(&p); }
};
struct EddsaDeleter {
  void operator()(eddsa_pk_t* p) const { eddsa_pk_free(&p); }
};
struct EvpDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};

// A libfido2 public key of one of the three types; `ptr` is what fido_assert_verify takes.
struct FidoKey {
  std::unique_ptr<es256_pk_t, Es256Deleter> es256;
  std::unique_ptr<rs256_pk_t, Rs256Deleter> rs256;
  std::unique_ptr<eddsa_pk_t, EddsaDeleter> eddsa;
  const void* ptr = nullptr;
};

// Some libfido2 versions copy the bytes without looking at them; converting to an
// EVP_PKEY makes OpenSSL check the point or modulus either way.
template <class Key, class ToEvp>
bool ConvertsToEvp(const Key* key, ToEvp to_evp) {
  return std::unique_ptr<EVP_PKEY, EvpDeleter>(to_evp(key)) != nullptr;
}

std::optional<FidoKey> MakeFidoKey(const CosePublicKey& key) {
  FidoKey out;
  const auto* raw = key.raw.data();
  const std::size_t size = key.raw.size();
  if (key.alg == kCoseEs256) {
    out.es256.reset(es256_pk_new());
    if (!out.es256 || es256_pk_from_ptr(out.es256.get(), raw, size) != FIDO_OK ||
        !ConvertsToEvp(out.es256.get(), es256_pk_to_EVP_PKEY)) {
      return std::nullopt;
    }
    out.ptr = out.es256.get();
  } else if (key.alg == kCoseRs256) {
    out.rs256.reset(rs256_pk_new());
    if (!out.rs256 || rs256_pk_from_ptr(out.rs256.get(), raw, size) != FIDO_OK ||
        !ConvertsToEvp(out.rs256.get(), rs256_pk_to_EVP_PKEY)) {
      return std::nullopt;
    }
    out.ptr = out.rs256.get();
  } else if (key.alg == kCoseEdDsa) {
    out.eddsa.reset(eddsa_pk_new());
    if (!out.eddsa || eddsa_pk_from_ptr(out.eddsa.get(), raw, size) != FIDO_OK) return std::nullopt;
    out.ptr = out.eddsa.get();
  } else {
    return std::nullopt;
  }
  return out;
}

// Everything fido_cred_verify* compares besides the signature, in the order libfido2
// 1.12 needs (the type before the authData, whose COSE key it checks against it).
bool PrepareCred(fido_cred_t* cred, const FidoPackedInput& input) {
  const std::string rp_id(input.rp_id);
  const auto& ext = input.extensions;
  const int mask = (ext.hmac_secret ? FIDO_EXT_HMAC_SECRET : 0) | (ext.cred_blob ? FIDO_EXT_CRED_BLOB : 0);
  const auto* ad = input.authenticator_data.data();
  const auto* st = input.attestation_statement.data();
  return fido_cred_set_type(cred, input.alg) == FIDO_OK &&
         fido_cred_set_rp(cred, rp_id.c_str(), nullptr) == FIDO_OK &&
         fido_cred_set_clientdata_hash(cred, input.client_data_hash.data(), input.client_data_hash.size()) ==
             FIDO_OK &&
         fido_cred_set_authdata_raw(cred, ad, input.authenticator_data.size()) == FIDO_OK &&
         fido_cred_set_uv(cred, input.require_user_verification ? FIDO_OPT_TRUE : FIDO_OPT_OMIT) == FIDO_OK &&
         fido_cred_set_fmt(cred, "packed") == FIDO_OK &&
         // Extensions present in authData must be declared or verification fails.
         fido_cred_set_extensions(cred, mask) == FIDO_OK &&
         fido_cred_set_prot(cred, ext.cred_protect.value_or(0)) == FIDO_OK &&
         (!ext.min_pin_length || fido_cred_set_pin_minlen(cred, *ext.min_pin_length) == FIDO_OK) &&
         fido_cred_set_attstmt(cred, st, input.attestation_statement.size()) == FIDO_OK;
}

}  // namespace

bool FidoKeyUsable(const CosePublicKey& key) {
  FidoInitOnce();
  return MakeFidoKey(key).has_value();
}

Verdict FidoVerifyAssertion(const FidoAssertionInput& input) {
  FidoInitOnce();
  const std::optional<FidoKey> key = MakeFidoKey(input.key);
  if (!key) return WebAuthnReason::kStoredCredentialInvalid;
  std::unique_ptr<fido_assert_t, AssertDeleter> assertion(fido_assert_new());
  if (!assertion) return WebAuthnReason::kMalformed;
  const std::string rp_id(input.rp_id);
  fido_assert_t* a = assertion.get();
  // The order RECIPES.md found: the count before authData and signature.
  const bool prepared =
      fido_assert_set_count(a, 1) == FIDO_OK && fido_assert_set_rp(a, rp_id.c_str()) == FIDO_OK &&
      fido_assert_set_clientdata_hash(a, input.client_data_hash.data(), input.client_data_hash.size()) ==
          FIDO_OK &&
      fido_assert_set_authdata_raw(a, 0, input.authenticator_data.data(), input.authenticator_data.size()) ==
          FIDO_OK &&
      fido_assert_set_sig(a, 0, input.signature.data(), input.signature.size()) == FIDO_OK &&
      fido_assert_set_up(a, FIDO_OPT_TRUE) == FIDO_OK &&  // OMIT (the default) would not check UP
      fido_assert_set_uv(a, input.require_user_verification ? FIDO_OPT_TRUE : FIDO_OPT_OMIT) == FIDO_OK;
  if (!prepared) return WebAuthnReason::kMalformed;
  if (fido_assert_verify(a, 0, input.key.alg, key->ptr) != FIDO_OK) return WebAuthnReason::kBadSignature;
  return kPassed;
}

Verdict FidoVerifyPacked(const FidoPackedInput& input) {
  FidoInitOnce();
  std::unique_ptr<fido_cred_t, CredDeleter> cred(fido_cred_new());
  if (!cred || !PrepareCred(cred.get(), input)) return WebAuthnReason::kBadAttestation;
  const int verified = input.self_attestation ? fido_cred_verify_self(cred.get()) : fido_cred_verify(cred.get());
  return verified == FIDO_OK ? kPassed : Verdict(WebAuthnReason::kBadAttestation);
}

}  // namespace safedesk::auth
