// FactorSecretBox: how TOTP secrets are kept at rest.
#include <gtest/gtest.h>

#include <string>

#include "auth/factor_secret_box.h"
#include "common/encoding.h"
#include "tests/testing/test_support.h"

namespace safedesk::auth {
namespace {

constexpr std::string_view kHexKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

class FactorSecretBoxTest : public ::testing::Test {
 protected:
  FactorSecretBox Box() {
    auto box = FactorSecretBox::FromKey(Secret(*HexDecode(kHexKey)), random_);
    EXPECT_TRUE(box.ok());
    return std::move(box).value();
  }

  SeededRandom random_{11};
  Secret seed_{std::string_view("12345678901234567890")};
};

TEST_F(FactorSecretBoxTest, RoundTrip) {
  FactorSecretBox box = Box();
  auto sealed = box.Seal("alice", "totp", seed_);
  ASSERT_TRUE(sealed.ok()) << sealed.error().message;
  EXPECT_TRUE(sealed->starts_with("v1."));
  auto opened = box.Open("alice", "totp", *sealed);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_TRUE(opened->Equals(seed_.bytes()));
}

TEST_F(FactorSecretBoxTest, SealedTextDoesNotContainTheSecret) {
  auto sealed = Box().Seal("alice", "totp", seed_);
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->find(Base64UrlEncode(seed_.bytes())), std::string::npos);
}

TEST_F(FactorSecretBoxTest, EachSealUsesAFreshNonce) {
  FactorSecretBox box = Box();
  EXPECT_NE(box.Seal("alice", "totp", seed_).value(), box.Seal("alice", "totp", seed_).value());
}

TEST_F(FactorSecretBoxTest, TamperedCiphertextFailsToOpen) {
  FactorSecretBox box = Box();
  std::string sealed = box.Seal("alice", "totp", seed_).value();
  char& last = sealed.back();
  last = last == 'A' ? 'B' : 'A';
  auto opened = box.Open("alice", "totp", sealed);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, Errc::kCorrupt);
}

TEST_F(FactorSecretBoxTest, OtherUserCannotOpen) {
  FactorSecretBox box = Box();
  std::string sealed = box.Seal("alice", "totp", seed_).value();
  auto opened = box.Open("bob", "totp", sealed);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, Errc::kCorrupt);
}

TEST_F(FactorSecretBoxTest, OtherFactorKindCannotOpen) {
  FactorSecretBox box = Box();
  std::string sealed = box.Seal("alice", "totp", seed_).value();
  EXPECT_FALSE(box.Open("alice", "webauthn", sealed).ok());
}

TEST_F(FactorSecretBoxTest, GarbageIsInvalidArgument) {
  auto opened = Box().Open("alice", "totp", "v1.not-base64!.x");
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, Errc::kInvalidArgument);
}

TEST_F(FactorSecretBoxTest, LoadsHexKeyFileWithMode600) {
  testing::TempDir dir;
  std::string path = dir.Write("factor.key", std::string(kHexKey) + "\n", 0600);
  auto box = FactorSecretBox::LoadKeyFile(path, random_);
  ASSERT_TRUE(box.ok()) << box.error().message;
  // Same key as Box(): what one seals, the other opens.
  EXPECT_TRUE(box->Open("alice", "totp", Box().Seal("alice", "totp", seed_).value()).ok());
}

TEST_F(FactorSecretBoxTest, RefusesKeyFileReadableByGroup) {
  testing::TempDir dir;
  std::string path = dir.Write("factor.key", std::string(kHexKey), 0640);
  auto box = FactorSecretBox::LoadKeyFile(path, random_);
  ASSERT_FALSE(box.ok());
  EXPECT_EQ(box.error().code, Errc::kPermissionDenied);
}

TEST_F(FactorSecretBoxTest, RefusesShortKeyFile) {
  testing::TempDir dir;
  std::string path = dir.Write("factor.key", "0001020304", 0600);
  EXPECT_FALSE(FactorSecretBox::LoadKeyFile(path, random_).ok());
}

}  // namespace
}  // namespace safedesk::auth
