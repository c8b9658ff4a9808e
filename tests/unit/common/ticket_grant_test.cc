// SessionGrant's canonical form: the bytes behind a ticket's grant digest.
#include <gtest/gtest.h>

#include <string>

#include "common/encoding.h"
#include "common/session_grant.h"

namespace safedesk {
namespace {

using std::chrono::seconds;

SessionGrant Sample() {
  SessionGrant g;
  g.allow_clipboard_paste_in = true;
  g.mask_rules = {MaskRule{"^Keepass", ""}, MaskRule{"", "Patient \"record\"\t\\d+"}};
  g.watermark = true;
  g.idle_timeout = seconds(900);
  g.max_duration = seconds(14400);
  g.require_user_verification = false;
  return g;
}

TEST(SessionGrantTest, CanonicalJsonIsExact) {
  SessionGrant g = Sample();
  g.mask_rules = {MaskRule{"^Keepass", "a\"b"}};
  EXPECT_EQ(CanonicalGrantJson(g).value(),
            R"({"allow_clipboard_paste_in":true,"allow_file_transfer":false,"idle_timeout_s":900,)"
            R"("mask_rules":[{"title":"a\"b","wm_class":"^Keepass"}],"max_duration_s":14400,)"
            R"("record_required":true,"require_user_verification":false,"v":1,"watermark":true})");
}

TEST(SessionGrantTest, RoundTrip) {
  auto json = CanonicalGrantJson(Sample());
  ASSERT_TRUE(json.ok()) << json.error().message;
  auto parsed = ParseGrantJson(*json);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(*parsed, Sample());
}

TEST(SessionGrantTest, DigestIsSha256OfCanonicalJson) {
  EXPECT_EQ(GrantDigest(Sample()).value(), Sha256(AsBytes(CanonicalGrantJson(Sample()).value())));
}

TEST(SessionGrantTest, DigestChangesWithAnyValue) {
  SessionGrant g = Sample();
  g.idle_timeout = seconds(901);
  EXPECT_NE(GrantDigest(g).value(), GrantDigest(Sample()).value());
}

TEST(SessionGrantTest, ParseRefusesWhitespace) {
  std::string json = CanonicalGrantJson(Sample()).value();
  json.insert(1, " ");
  EXPECT_FALSE(ParseGrantJson(json).ok());
}

TEST(SessionGrantTest, ParseRefusesFileTransfer) {
  std::string json = CanonicalGrantJson(Sample()).value();
  json.replace(json.find("\"allow_file_transfer\":false"), 27, "\"allow_file_transfer\":true");
  auto parsed = ParseGrantJson(json);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code, Errc::kInvalidArgument);
}

TEST(SessionGrantTest, ParseRefusesRecordingOff) {
  std::string json = CanonicalGrantJson(Sample()).value();
  json.replace(json.find("\"record_required\":true"), 22, "\"record_required\":false");
  EXPECT_FALSE(ParseGrantJson(json).ok());
}

TEST(SessionGrantTest, ParseRefusesLeadingZero) {
  std::string json = CanonicalGrantJson(Sample()).value();
  json.replace(json.find(":900"), 4, ":0900");
  EXPECT_FALSE(ParseGrantJson(json).ok());
}

TEST(SessionGrantTest, ParseRefusesTrailingBytes) {
  EXPECT_FALSE(ParseGrantJson(CanonicalGrantJson(Sample()).value() + "\n").ok());
}

TEST(SessionGrantTest, ParseRefusesEveryTruncation) {
  std::string json = CanonicalGrantJson(Sample()).value();
  for (std::size_t n = 0; n < json.size(); ++n) EXPECT_FALSE(ParseGrantJson(json.substr(0, n)).ok()) << n;
}

TEST(SessionGrantTest, RefusesTooManyMaskRules) {
  SessionGrant g = Sample();
  g.mask_rules.assign(kMaxMaskRules + 1, MaskRule{"x", ""});
  auto json = CanonicalGrantJson(g);
  ASSERT_FALSE(json.ok());
  EXPECT_EQ(json.error().code, Errc::kLimitExceeded);
}

TEST(SessionGrantTest, RefusesOversizedPattern) {
  SessionGrant g = Sample();
  g.mask_rules = {MaskRule{std::string(kMaxMaskPatternSize + 1, 'x'), ""}};
  EXPECT_FALSE(ValidateGrant(g).ok());
}

TEST(SessionGrantTest, RefusesIdleTimeoutLongerThanSession) {
  SessionGrant g = Sample();
  g.idle_timeout = g.max_duration + seconds(1);
  EXPECT_FALSE(ValidateGrant(g).ok());
}

TEST(SessionGrantTest, RefusesRuleWithoutPattern) {
  SessionGrant g = Sample();
  g.mask_rules = {MaskRule{}};
  EXPECT_FALSE(ValidateGrant(g).ok());
}

}  // namespace
}  // namespace safedesk
