// The payload codec reproduces every frame exactly, including scrolled regions.
#include <cstring>
#include <random>

#include <gtest/gtest.h>

#include "recording/frame_codec.h"

namespace safedesk::recording {
namespace {

constexpr int kW = 300, kH = 200;

TEST(FrameCodecTest, ScrollingContentRoundTripsExactly) {
  std::mt19937 rng(4);
  std::vector<std::uint8_t> fb(std::size_t(kW) * kH * 4, 0);
  auto fill_row = [&](int y) {
    for (int x = 0; x < kW; ++x) {
      std::uint8_t* p = fb.data() + (std::size_t(y) * kW + x) * 4;
      p[0] = std::uint8_t(rng()), p[1] = std::uint8_t(rng()), p[2] = std::uint8_t(rng()), p[3] = 0;
    }
  };
  for (int y = 0; y < kH; ++y) fill_row(y);
  FrameEncoder enc(kW, kH);
  std::vector<std::vector<std::uint8_t>> expected;
  for (int i = 0; i < 12; ++i) {
    if (i > 0) {  // scroll rows 20..180 up by 7 and draw 7 new rows at the bottom of that area
      for (int y = 20; y < 173; ++y) std::memcpy(&fb[std::size_t(y) * kW * 4], &fb[std::size_t(y + 7) * kW * 4], kW * 4);
      for (int y = 173; y < 180; ++y) fill_row(y);
    }
    enc.AddFrame(i * 60, fb, {PixelRect{0, 20, kW, 160}}, false, {});
    expected.push_back(fb);
  }
  auto payload = enc.FinishChunk();
  ASSERT_TRUE(payload.ok());
  // 12 frames of 300x160 random pixels would be ~1.7 MB; scrolls keep it near one frame.
  EXPECT_LT(payload->size(), 400'000u);
  FrameDecoder dec(kW, kH);
  std::size_t n = 0;
  ASSERT_TRUE(dec.DecodeChunk(*payload,
                              [&](const DecodedFrame& f) {
                                ASSERT_LT(n, expected.size());
                                EXPECT_TRUE(std::equal(f.pixels.begin(), f.pixels.end(), expected[n].begin()))
                                    << "frame " << n;
                                ++n;
                              },
                              nullptr)
                  .ok());
  EXPECT_EQ(n, expected.size());
}

TEST(FrameCodecTest, OversizedPayloadIsRefused) {
  FrameDecoder dec(kW, kH);
  std::vector<std::uint8_t> garbage(64, 0xFF);
  EXPECT_FALSE(dec.DecodeChunk(garbage, nullptr, nullptr).ok());
}

}  // namespace
}  // namespace safedesk::recording
