// The gateway's frame pipeline pieces: dirty-region merging, the relay's fixed memory,
// the per-rectangle codec choice, the watermark, and the broker URL parsing.
#include <gtest/gtest.h>

#include <png.h>
#include <turbojpeg.h>
#include <webp/decode.h>

#include <cstring>
#include <vector>

#include "gateway/broker_client.h"
#include "gateway/frame_encoder.h"
#include "gateway/frame_relay.h"
#include "gateway/rdp_link.h"
#include "gateway/watermark.h"

namespace safedesk::gateway {
namespace {

std::vector<std::uint8_t> Solid(int w, int h, std::uint32_t bgrx) {
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(w) * h * 4);
  for (std::size_t i = 0; i < pixels.size(); i += 4) std::memcpy(&pixels[i], &bgrx, 4);
  return pixels;
}

std::vector<std::uint8_t> Noise(int w, int h) {
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(w) * h * 4);
  std::uint32_t state = 12345;
  for (auto& byte : pixels) {
    state = state * 1103515245u + 12345u;
    byte = static_cast<std::uint8_t>(state >> 16);
  }
  return pixels;
}

FrameView ViewOf(const std::vector<std::uint8_t>& pixels, int w, int h, std::vector<Rect> dirty) {
  FrameView frame;
  frame.width = w;
  frame.height = h;
  frame.stride = w * 4;
  frame.pixels = pixels;
  frame.dirty = std::move(dirty);
  return frame;
}

TEST(DirtyRegionTest, OverlappingRectanglesMerge) {
  DirtyRegion region;
  region.Add({0, 0, 100, 100});
  region.Add({50, 50, 100, 100});
  ASSERT_EQ(region.rects().size(), 1u);
  EXPECT_EQ(region.rects()[0], (Rect{0, 0, 150, 150}));
}

TEST(DirtyRegionTest, DistantRectanglesStaySeparate) {
  DirtyRegion region;
  region.Add({0, 0, 10, 10});
  region.Add({500, 500, 10, 10});
  EXPECT_EQ(region.rects().size(), 2u);
}

TEST(DirtyRegionTest, ManyRectanglesCollapseToTheirBoundingBox) {
  DirtyRegion region;
  for (int i = 0; i < 40; ++i) region.Add({i * 30, (i % 2) * 300, 5, 5});
  ASSERT_LE(region.rects().size(), DirtyRegion::kMaxRects);
  int covered_right = 0;
  for (const Rect& r : region.rects()) covered_right = std::max(covered_right, r.x + r.width);
  EXPECT_GE(covered_right, 39 * 30 + 5);
}

TEST(FrameRelayTest, TakeReturnsCurrentPixelsOfTheMergedRegion) {
  int wakes = 0;
  FrameRelay relay([&] { ++wakes; });
  auto red = Solid(64, 32, 0x00ff0000);
  relay.Update(ViewOf(red, 64, 32, {{0, 0, 64, 32}}));
  auto blue = Solid(64, 32, 0x000000ff);
  relay.Update(ViewOf(blue, 64, 32, {{0, 0, 8, 8}}));  // only the corner changed since
  TakenUpdate update;
  ASSERT_TRUE(relay.Take(update));
  ASSERT_EQ(update.rects.size(), 1u);
  std::uint32_t corner;
  std::memcpy(&corner, update.rects[0].pixels.data(), 4);
  EXPECT_EQ(corner, 0x000000ffu);
  std::uint32_t elsewhere;
  std::memcpy(&elsewhere, update.rects[0].pixels.data() + (10 * 64 + 20) * 4, 4);
  EXPECT_EQ(elsewhere, 0x00ff0000u);
  EXPECT_EQ(wakes, 1) << "one wake per empty → pending transition";
  EXPECT_FALSE(relay.Take(update));
}

TEST(FrameRelayTest, MemoryStaysTheScreenSizeHoweverManyFramesArrive) {
  FrameRelay relay(nullptr);
  auto pixels = Noise(320, 200);
  for (int i = 0; i < 500; ++i) relay.Update(ViewOf(pixels, 320, 200, {{i % 300, i % 180, 20, 20}}));
  EXPECT_EQ(relay.memory_bytes(), 320u * 200u * 4u);
  EXPECT_LE(relay.pending_rects(), DirtyRegion::kMaxRects);
}

TEST(FrameEncoderTest, FewColoursGoLosslessAsIndexedPng) {
  FrameEncoder encoder({75, 256});
  auto pixels = Solid(100, 40, 0x00123456);
  for (int x = 0; x < 100; x += 3) std::memset(&pixels[static_cast<std::size_t>(x) * 4], 0xff, 3);
  auto encoded = encoder.Encode({pixels.data(), 100, 40, 400});
  ASSERT_TRUE(encoded.ok());
  EXPECT_EQ(encoded->codec, ImageCodec::kPng);
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  ASSERT_TRUE(png_image_begin_read_from_memory(&image, encoded->bytes.data(), encoded->bytes.size()));
  image.format = PNG_FORMAT_BGRA;
  std::vector<std::uint8_t> decoded(PNG_IMAGE_SIZE(image));
  ASSERT_TRUE(png_image_finish_read(&image, nullptr, decoded.data(), 0, nullptr));
  for (std::size_t i = 0; i < pixels.size(); i += 4) {
    ASSERT_EQ(0, std::memcmp(&decoded[i], &pixels[i], 3)) << "pixel " << i / 4;
  }
}

// Anti-aliased text on a flat background: hundreds of colours, but mostly flat runs.
TEST(FrameEncoderTest, ManyColoursInFlatRunsGoLosslessAsWebp) {
  FrameEncoder encoder({75, 256});
  auto pixels = Solid(200, 60, 0x00f0f0f0);
  for (int y = 20; y < 40; ++y) {
    for (int x = 0; x < 200; x += 4) {
      const std::uint32_t shade = static_cast<std::uint32_t>((x * 7 + y * 13) % 400);
      const std::uint8_t bgr[3] = {static_cast<std::uint8_t>(shade & 0xff), static_cast<std::uint8_t>(shade >> 8),
                                   static_cast<std::uint8_t>(0x40 + y)};
      std::memcpy(&pixels[(static_cast<std::size_t>(y) * 200 + x) * 4], bgr, 3);
    }
  }
  const PixelRect rect{pixels.data(), 200, 60, 800};
  std::vector<std::uint32_t> palette;
  std::vector<std::uint8_t> indices;
  ASSERT_FALSE(FrameEncoder::CollectPalette(rect, 256, palette, indices));
  auto encoded = encoder.Encode(rect);
  ASSERT_TRUE(encoded.ok());
  EXPECT_EQ(encoded->codec, ImageCodec::kWebp);
  int w = 0, h = 0;
  std::uint8_t* decoded = WebPDecodeBGRA(encoded->bytes.data(), encoded->bytes.size(), &w, &h);
  ASSERT_NE(decoded, nullptr);
  ASSERT_EQ(w, 200);
  ASSERT_EQ(h, 60);
  for (std::size_t i = 0; i < pixels.size(); i += 4) {
    ASSERT_EQ(0, std::memcmp(&decoded[i], &pixels[i], 3)) << "pixel " << i / 4;
  }
  WebPFree(decoded);
}

TEST(FrameEncoderTest, PhotographicContentGoesAsJpeg) {
  FrameEncoder encoder({75, 256});
  auto pixels = Noise(64, 64);
  auto encoded = encoder.Encode({pixels.data(), 64, 64, 256});
  ASSERT_TRUE(encoded.ok());
  EXPECT_EQ(encoded->codec, ImageCodec::kJpeg);
  tjhandle handle = tjInitDecompress();
  int w = 0, h = 0, subsampling = 0, colourspace = 0;
  EXPECT_EQ(tjDecompressHeader3(handle, encoded->bytes.data(), static_cast<unsigned long>(encoded->bytes.size()), &w, &h,
                                &subsampling, &colourspace),
            0);
  tjDestroy(handle);
  EXPECT_EQ(w, 64);
  EXPECT_EQ(h, 64);
}

TEST(FrameEncoderTest, EmptyRectangleIsRefused) {
  FrameEncoder encoder({75, 256});
  EXPECT_FALSE(encoder.Encode({nullptr, 0, 0, 0}).ok());
}

TEST(WatermarkTest, MarksPixelsAndNudgesThemTowardGrey) {
  Watermark mark(400, 200, "RESEARCHER / ABC / 2026-11-23 10:00Z");
  int marked = 0;
  for (int y = 0; y < 200; ++y) {
    for (int x = 0; x < 400; ++x) marked += mark.Marked(x, y) ? 1 : 0;
  }
  EXPECT_GT(marked, 200);
  EXPECT_LT(marked, 400 * 200 / 10) << "faint: a small share of the screen";
  auto black = Solid(400, 200, 0);
  mark.Apply(black.data(), 400 * 4, 0, 0, 400, 200);
  int changed = 0;
  for (std::size_t i = 0; i < black.size(); i += 4) changed += black[i] != 0 ? 1 : 0;
  EXPECT_EQ(changed, marked);
}

TEST(WatermarkTest, TextNamesResearcherSessionAndMinute) {
  EXPECT_EQ(WatermarkText("rita", "abc123", 1'795'000'000), "RITA / ABC123 / 2026-11-18 11:06Z");
}

TEST(BrokerEndpointTest, ParsesHostAndPort) {
  auto endpoint = BrokerEndpoint::Parse("https://broker.example:8446/");
  ASSERT_TRUE(endpoint.ok());
  EXPECT_EQ(endpoint->host, "broker.example");
  EXPECT_EQ(endpoint->port, "8446");
}

TEST(BrokerEndpointTest, RefusesPlainHttpAndMissingPort) {
  EXPECT_FALSE(BrokerEndpoint::Parse("http://127.0.0.1:8446").ok());
  EXPECT_FALSE(BrokerEndpoint::Parse("https://127.0.0.1").ok());
  EXPECT_FALSE(BrokerEndpoint::Parse("https://127.0.0.1:99999").ok());
}

TEST(AllowedChannelsTest, TheDesktopLinkAnnouncesNoStaticChannel) {
  EXPECT_TRUE(AllowedStaticChannels().empty());
}

}  // namespace
}  // namespace safedesk::gateway
