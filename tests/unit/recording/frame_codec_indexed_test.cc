// Indexed rectangles (RECORDING_FORMAT.md, op "I"): few-colour pixels round-trip exactly
// at every index width, key frames included, and malformed ones are refused.
#include <zstd.h>

#include <cstring>
#include <random>

#include <gtest/gtest.h>

#include "recording/frame_codec.h"

namespace safedesk::recording {
namespace {

constexpr int kW = 101, kH = 37;  // odd width: packed rows end mid-byte

using Frame = std::vector<std::uint8_t>;

// A frame whose pixels take `colours` distinct values, in a random layout.
Frame FewColours(int colours, std::uint32_t seed) {
  std::mt19937 rng(seed);
  Frame fb(std::size_t(kW) * kH * 4, 0);
  for (std::size_t i = 0; i < fb.size(); i += 4) {
    const std::uint32_t c = (std::uint32_t(rng() % std::uint32_t(colours)) * 2654435761u) & 0xffffff;
    fb[i] = std::uint8_t(c), fb[i + 1] = std::uint8_t(c >> 8), fb[i + 2] = std::uint8_t(c >> 16);
  }
  return fb;
}

// Encodes the frames as one chunk (every region the whole screen) and decodes them back.
std::vector<Frame> RoundTrip(const std::vector<Frame>& frames, std::vector<bool>* key_frames = nullptr) {
  FrameEncoder enc(kW, kH);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    enc.AddFrame(std::int64_t(i) * 60, frames[i], {PixelRect{0, 0, kW, kH}}, false, {});
  }
  auto payload = enc.FinishChunk();
  EXPECT_TRUE(payload.ok());
  std::vector<Frame> out;
  FrameDecoder dec(kW, kH);
  EXPECT_TRUE(dec.DecodeChunk(
                     *payload,
                     [&](const DecodedFrame& f) {
                       out.emplace_back(f.pixels.begin(), f.pixels.end());
                       if (key_frames) key_frames->push_back(f.key_frame);
                     },
                     nullptr)
                  .ok());
  return out;
}

class IndexWidthTest : public ::testing::TestWithParam<int> {};

TEST_P(IndexWidthTest, FewColourFramesRoundTripExactly) {
  const std::vector<Frame> frames = {FewColours(GetParam(), 1), FewColours(GetParam(), 2), FewColours(GetParam(), 3)};
  EXPECT_EQ(RoundTrip(frames), frames);
}

// 1, 2, 4 and 8 bits per index, each at its smallest and largest palette.
INSTANTIATE_TEST_SUITE_P(Palettes, IndexWidthTest, ::testing::Values(1, 2, 3, 4, 5, 16, 17, 256));

TEST(FrameCodecIndexedTest, ManyColourFramesStillRoundTripExactly) {
  const std::vector<Frame> frames = {FewColours(257, 1), FewColours(5000, 2)};
  EXPECT_EQ(RoundTrip(frames), frames);
}

TEST(FrameCodecIndexedTest, FewColourKeyFrameIsStillAKeyFrame) {
  std::vector<bool> key_frames;
  RoundTrip({FewColours(2, 1), FewColours(2, 2)}, &key_frames);
  EXPECT_EQ(key_frames, (std::vector<bool>{true, false}));
}

TEST(FrameCodecIndexedTest, TwoColourTextIsSmallerThanRawPixels) {
  FrameEncoder enc(kW, kH);
  enc.AddFrame(0, FewColours(2, 1), {}, false, {});
  auto payload = enc.FinishChunk(1);
  ASSERT_TRUE(payload.ok());
  EXPECT_LT(payload->size(), std::size_t(kW) * kH / 8 + 200);  // about one bit a pixel
}

TEST(FrameCodecIndexedTest, IndexBeyondThePaletteIsRefused) {
  // One frame: an indexed key frame with a 3-colour palette (2 bits) whose first index is 3.
  std::vector<std::uint8_t> raw = {'F', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 'I', 0, 0, 0, 0, 1, 0, 1, 0, 2};
  raw.insert(raw.end(), 9, 0x10);  // palette
  raw.push_back(0xC0);             // index 3
  std::vector<std::uint8_t> payload(ZSTD_compressBound(raw.size()));
  payload.resize(ZSTD_compress(payload.data(), payload.size(), raw.data(), raw.size(), 1));
  FrameDecoder dec(kW, kH);
  EXPECT_FALSE(dec.DecodeChunk(payload, nullptr, nullptr).ok());
}

}  // namespace
}  // namespace safedesk::recording
