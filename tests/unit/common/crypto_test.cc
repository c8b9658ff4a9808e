#include "common/crypto.h"

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "tests/testing/test_support.h"

namespace safedesk {
namespace {

TEST(CryptoTest, Sha256MatchesKnownVector) {
  EXPECT_EQ(HexEncode(Sha256(AsBytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(CryptoTest, Sha256HasherEqualsOneShot) {
  Sha256Hasher hasher;
  hasher.Update(AsBytes("ab"));
  hasher.Update(AsBytes("c"));
  EXPECT_EQ(hasher.Finish(), Sha256(AsBytes("abc")));
}

// RFC 8032 §7.1 test 1: empty message.
TEST(CryptoTest, Ed25519MatchesRfc8032Vector) {
  auto seed = HexDecode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  auto key = Ed25519PrivateKey::FromSeed(*seed);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(HexEncode(key->public_key().raw()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  EXPECT_EQ(HexEncode(key->Sign({})),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46b"
            "d25bf5f0595bbe24655141438e7a100b");
}

TEST(CryptoTest, Ed25519VerifyRejectsChangedMessage) {
  SeededRandom random(7);
  auto key = Ed25519PrivateKey::Generate(random);
  ASSERT_TRUE(key.ok());
  const auto sig = key->Sign(AsBytes("message"));
  EXPECT_TRUE(key->public_key().Verify(AsBytes("message"), sig));
  EXPECT_FALSE(key->public_key().Verify(AsBytes("messagf"), sig));
}

TEST(CryptoTest, Ed25519PemRoundTrip) {
  SeededRandom random(8);
  auto key = Ed25519PrivateKey::Generate(random);
  ASSERT_TRUE(key.ok());
  auto again = Ed25519PrivateKey::FromPem(key->ToPem().reveal());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->public_key().raw(), key->public_key().raw());
  auto pub = Ed25519PublicKey::FromPem(key->public_key().ToPem());
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(pub->raw(), key->public_key().raw());
}

TEST(CryptoTest, PrivateKeyFileReadableByOthersIsRefused) {
  testing::TempDir dir;
  SeededRandom random(9);
  auto key = Ed25519PrivateKey::Generate(random);
  const auto path = dir.Write("key.pem", std::string(key->ToPem().reveal()), 0644);
  auto loaded = Ed25519PrivateKey::LoadPemFile(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code, Errc::kPermissionDenied);
  EXPECT_NE(loaded.error().message.find("0644"), std::string::npos);
}

TEST(CryptoTest, PrivateKeyFileWithMode600Loads) {
  testing::TempDir dir;
  SeededRandom random(10);
  auto key = Ed25519PrivateKey::Generate(random);
  const auto path = dir.Write("key.pem", std::string(key->ToPem().reveal()), 0600);
  EXPECT_TRUE(Ed25519PrivateKey::LoadPemFile(path).ok());
}

TEST(CryptoTest, AeadRoundTrip) {
  Secret key = Secret::OfSize(kAeadKeySize);
  std::vector<std::uint8_t> nonce(kAeadNonceSize, 1);
  auto sealed = AeadSeal(key, nonce, AsBytes("aad"), AsBytes("plain"));
  ASSERT_TRUE(sealed.ok());
  auto opened = AeadOpen(key, nonce, AsBytes("aad"), *sealed);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->reveal(), "plain");
}

TEST(CryptoTest, AeadRejectsTamperedCiphertext) {
  Secret key = Secret::OfSize(kAeadKeySize);
  std::vector<std::uint8_t> nonce(kAeadNonceSize, 1);
  auto sealed = AeadSeal(key, nonce, {}, AsBytes("plain"));
  (*sealed)[0] ^= 1;
  auto opened = AeadOpen(key, nonce, {}, *sealed);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, Errc::kCorrupt);
}

TEST(CryptoTest, AeadRejectsOtherAssociatedData) {
  Secret key = Secret::OfSize(kAeadKeySize);
  std::vector<std::uint8_t> nonce(kAeadNonceSize, 1);
  auto sealed = AeadSeal(key, nonce, AsBytes("alice"), AsBytes("plain"));
  EXPECT_FALSE(AeadOpen(key, nonce, AsBytes("bob"), *sealed).ok());
}

}  // namespace
}  // namespace safedesk
