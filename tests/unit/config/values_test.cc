#include "config/values.h"

#include <gtest/gtest.h>

#include <string>

namespace safedesk::config {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

std::string DurationError(std::string_view text) {
  auto parsed = ParseDuration(text);
  return parsed.ok() ? "" : parsed.error().message;
}

TEST(ParseDurationTest, AcceptsEveryUnit) {
  EXPECT_EQ(*ParseDuration("250ms"), milliseconds(250));
  EXPECT_EQ(*ParseDuration("30s"), seconds(30));
  EXPECT_EQ(*ParseDuration("15m"), minutes(15));
  EXPECT_EQ(*ParseDuration("8h"), hours(8));
  EXPECT_EQ(*ParseDuration("2d"), hours(48));
}

TEST(ParseDurationTest, AcceptsZero) { EXPECT_EQ(*ParseDuration("0ms"), milliseconds(0)); }

TEST(ParseDurationTest, RejectsEmpty) {
  EXPECT_NE(DurationError("").find("the value is empty"), std::string::npos);
}

TEST(ParseDurationTest, RejectsMissingUnit) {
  EXPECT_NE(DurationError("15").find("a unit is missing"), std::string::npos);
}

TEST(ParseDurationTest, RejectsNegative) {
  EXPECT_NE(DurationError("-1s").find("cannot be negative"), std::string::npos);
}

TEST(ParseDurationTest, RejectsFractionAndSuggestsSmallerUnit) {
  const std::string message = DurationError("1.5m");
  EXPECT_NE(message.find("fractions are not supported"), std::string::npos);
  EXPECT_NE(message.find("90s"), std::string::npos);
}

TEST(ParseDurationTest, RejectsUnknownUnit) {
  EXPECT_NE(DurationError("15M").find("unknown unit \"M\""), std::string::npos);
  EXPECT_NE(DurationError("15min").find("unknown unit"), std::string::npos);
}

TEST(ParseDurationTest, RejectsSpacesAndCompoundForms) {
  EXPECT_FALSE(ParseDuration("15 m").ok());
  EXPECT_FALSE(ParseDuration(" 15m").ok());
  EXPECT_FALSE(ParseDuration("1h30m").ok());
  EXPECT_FALSE(ParseDuration("ms").ok());
}

TEST(ParseDurationTest, RejectsOverflow) {
  EXPECT_NE(DurationError("106751991167301d").find("too large"), std::string::npos);
  EXPECT_NE(DurationError("99999999999999999999999ms").find("too large"), std::string::npos);
}

TEST(ParseDurationTest, AcceptsTheLargestDayCountThatFits) {
  // int64 milliseconds hold 106751991167 days and a bit.
  EXPECT_TRUE(ParseDuration("106751991167d").ok());
}

TEST(ParseDurationTest, MessageQuotesWhatWasFound) {
  EXPECT_NE(DurationError("soon").find("found \"soon\""), std::string::npos);
}

TEST(FormatDurationTest, UsesTheLargestExactUnit) {
  EXPECT_EQ(FormatDuration(seconds(90)), "90s");
  EXPECT_EQ(FormatDuration(minutes(15)), "15m");
  EXPECT_EQ(FormatDuration(hours(48)), "2d");
  EXPECT_EQ(FormatDuration(milliseconds(250)), "250ms");
  EXPECT_EQ(FormatDuration(milliseconds(0)), "0ms");
}

TEST(ParseSizeTest, AcceptsBinaryUnitsAndBareBytes) {
  EXPECT_EQ(*ParseSize("1MiB"), 1u << 20);
  EXPECT_EQ(*ParseSize("64KiB"), 64u << 10);
  EXPECT_EQ(*ParseSize("2GiB"), 2ull << 30);
  EXPECT_EQ(*ParseSize("512B"), 512u);
  EXPECT_EQ(*ParseSize("4096"), 4096u);
}

TEST(ParseSizeTest, RejectsDecimalUnitsRatherThanGuessing) {
  auto parsed = ParseSize("1MB");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().message.find("use B, KiB, MiB or GiB"), std::string::npos);
}

TEST(ParseSizeTest, RejectsMalformed) {
  EXPECT_FALSE(ParseSize("").ok());
  EXPECT_FALSE(ParseSize("KiB").ok());
  EXPECT_FALSE(ParseSize("1.5MiB").ok());
  EXPECT_FALSE(ParseSize("-1").ok());
}

TEST(ParseSizeTest, RejectsOverflow) {
  EXPECT_FALSE(ParseSize("17179869184GiB").ok());
  EXPECT_FALSE(ParseSize("99999999999999999999999").ok());
}

TEST(FormatSizeTest, UsesTheLargestExactUnit) {
  EXPECT_EQ(FormatSize(1u << 20), "1MiB");
  EXPECT_EQ(FormatSize(1536), "1536");
  EXPECT_EQ(FormatSize(0), "0");
}

TEST(ParseScreenSizeTest, AcceptsWidthByHeight) {
  EXPECT_EQ(*ParseScreenSize("1280x800"), (ScreenSize{1280, 800}));
}

TEST(ParseScreenSizeTest, RejectsSizesOutsideWhatRdpSupports) {
  EXPECT_FALSE(ParseScreenSize("320x200").ok());
  EXPECT_FALSE(ParseScreenSize("10000x800").ok());
}

TEST(ParseScreenSizeTest, RejectsMalformed) {
  EXPECT_FALSE(ParseScreenSize("1280").ok());
  EXPECT_FALSE(ParseScreenSize("1280X800").ok());
  EXPECT_FALSE(ParseScreenSize("1280x").ok());
  EXPECT_FALSE(ParseScreenSize("x800").ok());
  EXPECT_FALSE(ParseScreenSize("1280x800x2").ok());
}

TEST(ValidateRegexTest, AcceptsEcmaScript) {
  EXPECT_TRUE(ValidateRegex("^(RStudio|rstudio)$").ok());
  EXPECT_TRUE(ValidateRegex("(?:Password|Passphrase)").ok());
}

TEST(ValidateRegexTest, RejectsWhatDoesNotCompile) {
  auto valid = ValidateRegex("(unclosed");
  ASSERT_FALSE(valid.ok());
  EXPECT_NE(valid.error().message.find("found \"(unclosed\""), std::string::npos);
}

TEST(ValidateNameTest, AcceptsLettersDigitsAndPunctuationInside) {
  EXPECT_TRUE(ValidateName("claims-2024").ok());
  EXPECT_TRUE(ValidateName("a.b_c").ok());
}

TEST(ValidateNameTest, RejectsEmptyLongSpacesAndLeadingPunctuation) {
  EXPECT_FALSE(ValidateName("").ok());
  EXPECT_FALSE(ValidateName(std::string(65, 'a')).ok());
  EXPECT_FALSE(ValidateName("my project").ok());
  EXPECT_FALSE(ValidateName("-x").ok());
  EXPECT_FALSE(ValidateName(".x").ok());
}

TEST(ValidateUserNameTest, AcceptsPamStyleNames) {
  EXPECT_TRUE(ValidateUserName("alice").ok());
  EXPECT_TRUE(ValidateUserName("alice@EXAMPLE.ORG").ok());
}

TEST(ValidateUserNameTest, RejectsSpacesControlsAndLeadingDash) {
  EXPECT_FALSE(ValidateUserName("al ice").ok());
  EXPECT_FALSE(ValidateUserName("al\nice").ok());
  EXPECT_FALSE(ValidateUserName("-alice").ok());
  EXPECT_FALSE(ValidateUserName("").ok());
}

TEST(QuoteTest, ReplacesControlCharacters) { EXPECT_EQ(Quote("a\nb\x1b"), "\"a?b?\""); }

TEST(QuoteTest, CutsLongText) {
  const std::string quoted = Quote(std::string(200, 'x'));
  EXPECT_EQ(quoted.size(), 80u + 5u);  // two quotes and "..."
  EXPECT_TRUE(quoted.ends_with("...\""));
}

}  // namespace
}  // namespace safedesk::config
