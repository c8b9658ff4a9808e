#include "common/encoding.h"

#include <gtest/gtest.h>

namespace safedesk {
namespace {

std::vector<std::uint8_t> Bytes(std::string_view s) { return {s.begin(), s.end()}; }

TEST(EncodingTest, HexRoundTrip) {
  const std::vector<std::uint8_t> bytes = {0x00, 0x01, 0xfe, 0xff};
  EXPECT_EQ(HexEncode(bytes), "0001feff");
  EXPECT_EQ(HexDecode("0001FEff"), bytes);
}

TEST(EncodingTest, HexRejectsOddLengthAndNonHex) {
  EXPECT_FALSE(HexDecode("abc").has_value());
  EXPECT_FALSE(HexDecode("zz").has_value());
}

// RFC 4648 §10 test vectors, in the URL alphabet without padding.
TEST(EncodingTest, Base64UrlMatchesRfc4648Vectors) {
  EXPECT_EQ(Base64UrlEncode(Bytes("")), "");
  EXPECT_EQ(Base64UrlEncode(Bytes("f")), "Zg");
  EXPECT_EQ(Base64UrlEncode(Bytes("fo")), "Zm8");
  EXPECT_EQ(Base64UrlEncode(Bytes("foo")), "Zm9v");
  EXPECT_EQ(Base64UrlEncode(Bytes("foobar")), "Zm9vYmFy");
  EXPECT_EQ(Base64UrlEncode(Bytes("\xfb\xff")), "-_8");
}

TEST(EncodingTest, Base64UrlDecodesWithOrWithoutPadding) {
  EXPECT_EQ(Base64UrlDecode("Zm8"), Bytes("fo"));
  EXPECT_EQ(Base64UrlDecode("Zm8="), Bytes("fo"));
}

TEST(EncodingTest, Base64UrlRejectsStandardAlphabetAndBadLength) {
  EXPECT_FALSE(Base64UrlDecode("+/8").has_value());
  EXPECT_FALSE(Base64UrlDecode("Z").has_value());
}

TEST(EncodingTest, Base64RejectsNonCanonicalTrailingBits) {
  EXPECT_TRUE(Base64UrlDecode("Zg").has_value());
  EXPECT_FALSE(Base64UrlDecode("Zh").has_value());
}

TEST(EncodingTest, Base64StandardPads) {
  EXPECT_EQ(Base64Encode(Bytes("f")), "Zg==");
  EXPECT_EQ(Base64Decode("Zg=="), Bytes("f"));
}

// RFC 4648 §10 base32 vectors (without padding, as otpauth URIs use them).
TEST(EncodingTest, Base32MatchesRfc4648Vectors) {
  EXPECT_EQ(Base32Encode(Bytes("f")), "MY");
  EXPECT_EQ(Base32Encode(Bytes("foobar")), "MZXW6YTBOI");
  EXPECT_EQ(Base32Decode("MZXW6YTBOI======"), Bytes("foobar"));
  EXPECT_EQ(Base32Decode("mzxw6ytboi"), Bytes("foobar"));
  EXPECT_FALSE(Base32Decode("MZ1").has_value());
}

}  // namespace
}  // namespace safedesk
