// Recorder-level leak test: a unique colour pattern inside sensitive rectangles (moving
// and resizing every frame), keys typed while focus is sensitive, and a stale-agent
// period; the decoded recording must hold none of them, and the same pattern outside the
// masks must appear.
#include <gtest/gtest.h>

#include "tests/testing/test_support.h"
#include "tests/unit/recording/recorder_test_util.h"

namespace safedesk::gateway {
namespace {

constexpr int kW = 320, kH = 200;
constexpr std::uint16_t kSecretKeys[] = {0x2C, 0x2D, 0x2E, 0x2F};
constexpr std::uint16_t kPlainKey = 0x10;
const Rect kOutside{260, 160, 40, 30};

bool IsPattern(const std::uint8_t* p) {
  return (p[0] == 0x13 && p[1] == 0x57 && p[2] == 0x9B) || (p[0] == 0x2A && p[1] == 0xC4 && p[2] == 0x71);
}

void DrawPattern(std::vector<std::uint8_t>& fb, const Rect& r) {
  for (int y = r.y; y < r.y + r.height; ++y) {
    for (int x = r.x; x < r.x + r.width; ++x) {
      std::uint8_t* p = fb.data() + (std::size_t(y) * kW + x) * 4;
      const bool a = ((x / 2 + y / 2) & 1) == 0;
      p[0] = a ? 0x13 : 0x2A, p[1] = a ? 0x57 : 0xC4, p[2] = a ? 0x9B : 0x71, p[3] = 0;
    }
  }
}

void DrawBackground(std::vector<std::uint8_t>& fb, int frame) {
  for (int y = 0; y < kH; ++y) {
    for (int x = 0; x < kW; ++x) {
      std::uint8_t* p = fb.data() + (std::size_t(y) * kW + x) * 4;
      p[0] = std::uint8_t((x + frame) & 0x3f), p[1] = std::uint8_t(y & 0x3f), p[2] = 0x30, p[3] = 0;
    }
  }
}

TEST(RecorderLeakTest, MaskedPatternAndSensitiveKeysNeverReachTheRecording) {
  testing::TempDir dir;
  ManualClock clock;
  SeededRandom random(1);
  RecorderOptions options;
  options.path = (dir.path() / "rec").string();
  options.session_id = "s-leak";
  options.width = kW;
  options.height = kH;
  options.chunk_duration = std::chrono::milliseconds(1000);
  auto recorder = Recorder::Start(options, testutil::SealKey(), std::nullopt, clock, random, nullptr);
  ASSERT_TRUE(recorder.ok()) << recorder.error().message;
  std::vector<std::uint8_t> fb(std::size_t(kW) * kH * 4);
  int secret_presses = 0;
  for (int i = 0; i < 60; ++i) {
    const bool stale = i >= 40;
    if (i == 40) clock.Advance(std::chrono::milliseconds(700));  // the agent falls silent
    const Rect s{10 + 3 * (i % 40), 20 + 2 * (i % 40), 60 + i % 7, 40 + i % 5};
    if (!stale) {
      MaskSnapshot m;
      m.received = clock.Monotonic();
      m.sampled = m.received;
      m.seq = std::uint64_t(i);
      m.screen_width = kW;
      m.screen_height = kH;
      m.focus_sensitive = (i / 4) % 2 == 1;
      m.rects = {s};
      (*recorder)->OnMasks(m);
    }
    DrawBackground(fb, i);
    DrawPattern(fb, s);
    DrawPattern(fb, kOutside);
    FrameView f;
    f.at = clock.Now();
    f.width = kW;
    f.height = kH;
    f.stride = kW * 4;
    f.pixels = fb;
    f.dirty = {Rect{0, 0, kW, kH}};
    ASSERT_TRUE((*recorder)->OnFrame(f).ok());
    InputEvent key;
    key.at = clock.Now();
    key.down = true;
    const bool sensitive = stale || (i / 4) % 2 == 1;
    key.scancode = sensitive ? kSecretKeys[i % 4] : kPlainKey;
    secret_presses += sensitive;
    ASSERT_TRUE((*recorder)->OnInput(key).ok());
    clock.Advance(std::chrono::milliseconds(62));
  }
  ASSERT_TRUE((*recorder)->Finish().ok());

  int frames = 0, outside_seen = 0, full_masked = 0, redacted = 0, plain = 0;
  testutil::DecodeAll(
      options.path,
      [&](const recording::DecodedFrame& f) {
        ++frames;
        full_masked += f.full_mask;
        bool outside = false;
        for (int y = 0; y < kH; ++y) {
          for (int x = 0; x < kW; ++x) {
            if (!IsPattern(f.pixels.data() + (std::size_t(y) * kW + x) * 4)) continue;
            const bool in_outside = x >= kOutside.x && x < kOutside.x + kOutside.width && y >= kOutside.y &&
                                    y < kOutside.y + kOutside.height;
            ASSERT_TRUE(in_outside) << "pattern pixel leaked at " << x << "," << y << " t=" << f.t_ms;
            outside = true;
          }
        }
        outside_seen += outside;
      },
      [&](const recording::DecodedKey& k) {
        for (std::uint16_t s : kSecretKeys) ASSERT_NE(k.scancode, s);
        redacted += k.redacted;
        plain += k.scancode == kPlainKey;
      });
  EXPECT_EQ(frames, 60);
  // Every frame the agent reported after (0..38); frame 39's next report never came.
  EXPECT_EQ(outside_seen, 39);
  EXPECT_EQ(full_masked, 21);
  // A key is redacted when focus was sensitive at it or in the next report: at least
  // every truly sensitive one, and plain keys inside plain stretches stay readable.
  EXPECT_GE(redacted, secret_presses);
  EXPECT_GT(plain, 0);
}

}  // namespace
}  // namespace safedesk::gateway
