#include "common/mask_stream.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace safedesk {
namespace {

MaskMessage Sample() {
  MaskMessage m;
  m.desktop = "desk-17";
  m.seq = 42;
  m.ts_ms = 1'700'000'000'123;
  m.screen_w = 1280;
  m.screen_h = 800;
  m.focus_sensitive = true;
  m.rects = {{10, 20, 300, 50}, {400, 20, 100, 50}, {10, 70, 300, 150}, {10, 220, 490, 10}};
  return m;
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

TEST(MaskStreamTest, RoundTrip) {
  const MaskMessage m = Sample();
  auto parsed = ParseMaskMessage(EncodeMaskMessage(m));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(*parsed, m);
}

TEST(MaskStreamTest, EncodesOneLineEndingInNewline) {
  const std::string line = EncodeMaskMessage(Sample());
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
}

TEST(MaskStreamTest, EncodesTheSpecifiedFields) {
  MaskMessage m = Sample();
  m.rects = {{1, 2, 3, 4}};
  EXPECT_EQ(EncodeMaskMessage(m),
            "{\"v\":1,\"type\":\"masks\",\"desktop\":\"desk-17\",\"seq\":42,"
            "\"ts_ms\":1700000000123,\"screen\":{\"w\":1280,\"h\":800},"
            "\"focus_sensitive\":true,\"overflow\":false,"
            "\"rects\":[{\"x\":1,\"y\":2,\"w\":3,\"h\":4}]}\n");
}

TEST(MaskStreamTest, AcceptsFieldsInAnyOrderWithoutNewline) {
  auto parsed = ParseMaskMessage(
      R"({"rects":[],"overflow":true,"focus_sensitive":false,"screen":{"h":2,"w":3},)"
      R"("ts_ms":0,"seq":1,"desktop":"d","type":"masks","v":1})");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_TRUE(parsed->overflow);
  EXPECT_EQ(parsed->screen_w, 3);
  EXPECT_EQ(parsed->screen_h, 2);
}

TEST(MaskStreamTest, RefusesUnknownVersion) {
  const std::string line = Replace(EncodeMaskMessage(Sample()), "\"v\":1", "\"v\":2");
  EXPECT_FALSE(ParseMaskMessage(line).ok());
}

TEST(MaskStreamTest, RefusesUnknownType) {
  const std::string line = Replace(EncodeMaskMessage(Sample()), "\"masks\"", "\"other\"");
  EXPECT_FALSE(ParseMaskMessage(line).ok());
}

TEST(MaskStreamTest, RefusesUnknownField) {
  const std::string line = Replace(EncodeMaskMessage(Sample()), "{\"v\":1", "{\"extra\":0,\"v\":1");
  EXPECT_FALSE(ParseMaskMessage(line).ok());
}

TEST(MaskStreamTest, RefusesMissingField) {
  const std::string line = Replace(EncodeMaskMessage(Sample()), "\"overflow\":false,", "");
  EXPECT_FALSE(ParseMaskMessage(line).ok());
}

TEST(MaskStreamTest, RefusesStringWhereIntegerExpected) {
  const std::string line = Replace(EncodeMaskMessage(Sample()), "\"seq\":42", "\"seq\":\"42\"");
  EXPECT_FALSE(ParseMaskMessage(line).ok());
}

TEST(MaskStreamTest, RefusesFractionalInteger) {
  const std::string line = Replace(EncodeMaskMessage(Sample()), "\"seq\":42", "\"seq\":42.5");
  EXPECT_FALSE(ParseMaskMessage(line).ok());
}

TEST(MaskStreamTest, RefusesIntegerWhereBooleanExpected) {
  const std::string line =
      Replace(EncodeMaskMessage(Sample()), "\"focus_sensitive\":true", "\"focus_sensitive\":1");
  EXPECT_FALSE(ParseMaskMessage(line).ok());
}

TEST(MaskStreamTest, RefusesZeroSeq) {
  const std::string line = Replace(EncodeMaskMessage(Sample()), "\"seq\":42", "\"seq\":0");
  EXPECT_FALSE(ParseMaskMessage(line).ok());
}

TEST(MaskStreamTest, RefusesNegativeRectSize) {
  MaskMessage m = Sample();
  m.rects = {{1, 2, 3, 4}};
  const std::string line = Replace(EncodeMaskMessage(m), "\"w\":3", "\"w\":-3");
  EXPECT_FALSE(ParseMaskMessage(line).ok());
}

TEST(MaskStreamTest, RefusesEmptyRect) {
  MaskMessage m = Sample();
  m.rects = {{1, 2, 3, 4}};
  const std::string line = Replace(EncodeMaskMessage(m), "\"h\":4", "\"h\":0");
  EXPECT_FALSE(ParseMaskMessage(line).ok());
}

TEST(MaskStreamTest, RefusesNegativeOrigin) {
  MaskMessage m = Sample();
  m.rects = {{1, 2, 3, 4}};
  const std::string line = Replace(EncodeMaskMessage(m), "\"x\":1", "\"x\":-1");
  EXPECT_FALSE(ParseMaskMessage(line).ok());
}

TEST(MaskStreamTest, RefusesRectBeyondScreen) {
  MaskMessage m = Sample();
  m.rects = {{1200, 2, 80, 4}};
  const std::string ok_line = EncodeMaskMessage(m);
  EXPECT_TRUE(ParseMaskMessage(ok_line).ok());
  EXPECT_FALSE(ParseMaskMessage(Replace(ok_line, "\"w\":80", "\"w\":81")).ok());
}

TEST(MaskStreamTest, RefusesZeroScreen) {
  const std::string line = Replace(EncodeMaskMessage(Sample()), "\"w\":1280", "\"w\":0");
  EXPECT_FALSE(ParseMaskMessage(line).ok());
}

TEST(MaskStreamTest, RefusesNonCanonicalOrder) {
  MaskMessage m = Sample();
  m.rects = {{1, 2, 3, 4}};
  std::string line = EncodeMaskMessage(m);
  line = Replace(line, "[{\"x\":1,\"y\":2,\"w\":3,\"h\":4}]",
                 "[{\"x\":10,\"y\":2,\"w\":3,\"h\":4},{\"x\":1,\"y\":2,\"w\":3,\"h\":4}]");
  EXPECT_FALSE(ParseMaskMessage(line).ok());
}

TEST(MaskStreamTest, RefusesOverlappingRects) {
  MaskMessage m = Sample();
  m.rects = {{1, 2, 3, 4}};
  std::string line = Replace(EncodeMaskMessage(m), "[{\"x\":1,\"y\":2,\"w\":3,\"h\":4}]",
                             "[{\"x\":1,\"y\":2,\"w\":3,\"h\":4},{\"x\":1,\"y\":2,\"w\":3,\"h\":4}]");
  EXPECT_FALSE(ParseMaskMessage(line).ok());
}

TEST(MaskStreamTest, RefusesOverflowWithRects) {
  const std::string line =
      Replace(EncodeMaskMessage(Sample()), "\"overflow\":false", "\"overflow\":true");
  EXPECT_FALSE(ParseMaskMessage(line).ok());
}

TEST(MaskStreamTest, RefusesBadDesktopId) {
  const std::string line =
      Replace(EncodeMaskMessage(Sample()), "\"desk-17\"", "\"desk 17\"");
  EXPECT_FALSE(ParseMaskMessage(line).ok());
}

TEST(MaskStreamTest, RefusesTwoLines) {
  const std::string line = EncodeMaskMessage(Sample());
  EXPECT_FALSE(ParseMaskMessage(line + line).ok());
}

TEST(MaskStreamTest, RefusesNonJson) { EXPECT_FALSE(ParseMaskMessage("{\"v\":1,").ok()); }

TEST(MaskStreamTest, AcceptsTheRectCap) {
  MaskMessage m = Sample();
  m.rects.clear();
  for (std::int32_t i = 0; i < static_cast<std::int32_t>(kMaxMaskRects); ++i) {
    m.rects.push_back({0, i * 2, 1, 1});
  }
  auto parsed = ParseMaskMessage(EncodeMaskMessage(m));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->rects.size(), kMaxMaskRects);
}

TEST(MaskStreamTest, RefusesMoreRectsThanTheCap) {
  MaskMessage m = Sample();
  m.rects.clear();
  for (std::int32_t i = 0; i < static_cast<std::int32_t>(kMaxMaskRects); ++i) {
    m.rects.push_back({0, i * 2, 1, 1});
  }
  std::string line = EncodeMaskMessage(m);
  line = Replace(line, "]}", ",{\"x\":0,\"y\":600,\"w\":1,\"h\":1}]}");
  auto parsed = ParseMaskMessage(line);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code, Errc::kLimitExceeded);
}

TEST(MaskStreamTest, RefusesLineLongerThanTheCap) {
  std::string line = EncodeMaskMessage(Sample());
  line.insert(1, std::string(kMaxMaskLineSize, ' '));
  auto parsed = ParseMaskMessage(line);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code, Errc::kLimitExceeded);
}

TEST(MaskStreamTest, NormalizeClipsToScreen) {
  EXPECT_EQ(NormalizeMaskRects({{-10, -5, 30, 20}}, 15, 10),
            (std::vector<MaskRect>{{0, 0, 15, 10}}));
}

TEST(MaskStreamTest, NormalizeDropsRectsOffScreen) {
  EXPECT_TRUE(NormalizeMaskRects({{100, 100, 5, 5}, {0, 0, 0, 5}}, 50, 50).empty());
}

TEST(MaskStreamTest, NormalizeMergesTouchingRectsInABand) {
  EXPECT_EQ(NormalizeMaskRects({{10, 0, 10, 5}, {0, 0, 10, 5}}, 100, 100),
            (std::vector<MaskRect>{{0, 0, 20, 5}}));
}

TEST(MaskStreamTest, NormalizeMergesStackedBandsWithEqualSpans) {
  EXPECT_EQ(NormalizeMaskRects({{0, 5, 10, 5}, {0, 0, 10, 5}}, 100, 100),
            (std::vector<MaskRect>{{0, 0, 10, 10}}));
}

TEST(MaskStreamTest, NormalizeSplitsOverlapIntoBands) {
  // Two overlapping squares: an L-shaped union in three bands.
  EXPECT_EQ(NormalizeMaskRects({{0, 0, 10, 10}, {5, 5, 10, 10}}, 100, 100),
            (std::vector<MaskRect>{{0, 0, 10, 5}, {0, 5, 15, 5}, {5, 10, 10, 5}}));
}

}  // namespace
}  // namespace safedesk
