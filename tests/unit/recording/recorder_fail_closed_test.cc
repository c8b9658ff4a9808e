// The recorder fails closed: no or stale masks mask everything; a recording that cannot
// be written ends the session.
#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "tests/testing/test_support.h"
#include "tests/unit/recording/recorder_test_util.h"

namespace safedesk::gateway {
namespace {

constexpr int kW = 64, kH = 48;

class RecorderFailClosedTest : public ::testing::Test {
 protected:
  Result<std::unique_ptr<Recorder>> Start(const std::string& path, Recorder::FailureCallback cb = nullptr) {
    RecorderOptions o;
    o.path = path;
    o.session_id = "s-fc";
    o.width = kW;
    o.height = kH;
    o.chunk_duration = std::chrono::milliseconds(100);
    return Recorder::Start(o, testutil::SealKey(), std::nullopt, clock_, random_, std::move(cb));
  }
  Result<void> Frame(Recorder& r, std::uint8_t seed) {
    for (std::size_t i = 0; i < fb_.size(); ++i) fb_[i] = std::uint8_t(i * 31 + seed * 7 + (i >> 7));
    FrameView f;
    f.at = clock_.Now();
    f.width = kW;
    f.height = kH;
    f.stride = kW * 4;
    f.pixels = fb_;
    f.dirty = {Rect{0, 0, kW, kH}};
    return r.OnFrame(f);
  }
  MaskSnapshot Snapshot() {
    MaskSnapshot m;
    m.received = clock_.Monotonic();
    m.sampled = m.received;
    m.screen_width = kW;
    m.screen_height = kH;
    return m;
  }
  // Every decoded frame is the flat mask fill.
  void ExpectAllMasked(const std::string& path, int expected_frames) {
    int frames = 0;
    testutil::DecodeAll(
        path,
        [&](const recording::DecodedFrame& f) {
          ++frames;
          EXPECT_TRUE(f.full_mask);
          for (std::size_t i = 0; i < f.pixels.size(); i += 4) {
            ASSERT_TRUE(f.pixels[i] == 0x80 || f.pixels[i] == 0x40) << "unmasked pixel " << i / 4;
          }
        },
        nullptr);
    EXPECT_EQ(frames, expected_frames);
  }
  testing::TempDir dir_;
  ManualClock clock_;
  SeededRandom random_{2};
  std::vector<std::uint8_t> fb_ = std::vector<std::uint8_t>(std::size_t(kW) * kH * 4);
};

TEST_F(RecorderFailClosedTest, WithoutMaskSnapshotsEveryFrameIsFullyMasked) {
  const std::string path = (dir_.path() / "r").string();
  auto r = Start(path);
  ASSERT_TRUE(r.ok());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(Frame(**r, std::uint8_t(i)).ok());
    clock_.Advance(std::chrono::milliseconds(60));
  }
  ASSERT_TRUE((*r)->Finish().ok());
  ExpectAllMasked(path, 5);
}

TEST_F(RecorderFailClosedTest, StaleMaskSnapshotsMaskTheWholeScreen) {
  const std::string path = (dir_.path() / "r").string();
  auto r = Start(path);
  ASSERT_TRUE(r.ok());
  (*r)->OnMasks(Snapshot());  // no sensitive rectangles, but then silence
  clock_.Advance(std::chrono::milliseconds(501));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Frame(**r, std::uint8_t(i)).ok());
  ASSERT_TRUE((*r)->Finish().ok());
  ExpectAllMasked(path, 3);
}

TEST_F(RecorderFailClosedTest, FreshEmptySnapshotRecordsTheScreen) {
  const std::string path = (dir_.path() / "r").string();
  auto r = Start(path);
  ASSERT_TRUE(r.ok());
  (*r)->OnMasks(Snapshot());
  ASSERT_TRUE(Frame(**r, 1).ok());
  clock_.Advance(std::chrono::milliseconds(50));
  (*r)->OnMasks(Snapshot());  // the agent reports after the frame
  ASSERT_TRUE((*r)->Finish().ok());
  int frames = 0;
  testutil::DecodeAll(
      path,
      [&](const recording::DecodedFrame& f) {
        ++frames;
        EXPECT_FALSE(f.full_mask);
        EXPECT_EQ(f.pixels[4 * 7], fb_[4 * 7]);
      },
      nullptr);
  EXPECT_EQ(frames, 1);
}

// A window can move between the agent's last report and a frame: a frame the agent never
// reported after is masked whole, however fresh the report before it was.
TEST_F(RecorderFailClosedTest, FrameTheAgentNeverReportedAfterIsFullyMasked) {
  const std::string path = (dir_.path() / "r").string();
  auto r = Start(path);
  ASSERT_TRUE(r.ok());
  (*r)->OnMasks(Snapshot());
  clock_.Advance(std::chrono::milliseconds(10));
  ASSERT_TRUE(Frame(**r, 1).ok());
  clock_.Advance(std::chrono::milliseconds(600));  // the agent falls silent
  ASSERT_TRUE(Frame(**r, 2).ok());
  ASSERT_TRUE((*r)->Finish().ok());
  ExpectAllMasked(path, 2);
}

TEST_F(RecorderFailClosedTest, UnwritableDirectoryFailsToStart) {
  auto r = Start((dir_.path() / "missing" / "r").string());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kIo);
}

TEST_F(RecorderFailClosedTest, WriteFailureEndsTheSession) {
  // A real write error: the file-size limit makes write() fail with EFBIG.
  std::signal(SIGXFSZ, SIG_IGN);
  rlimit old{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  rlimit small = old;
  small.rlim_cur = 4096;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  std::string reason;
  std::mutex mu;
  auto r = Start((dir_.path() / "r").string(), [&](const std::string& why) {
    std::lock_guard lock(mu);
    reason = why;
  });
  ASSERT_TRUE(r.ok());
  bool refused = false;
  for (int i = 0; i < 400 && !refused; ++i) {  // bounded: 400 frames, a few seconds at most
    refused = !Frame(**r, std::uint8_t(i)).ok();
    clock_.Advance(std::chrono::milliseconds(150));  // each frame starts a chunk
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  setrlimit(RLIMIT_FSIZE, &old);
  EXPECT_TRUE(refused);
  EXPECT_FALSE((*r)->Finish().ok());
  std::lock_guard lock(mu);
  EXPECT_EQ(reason, Recorder::kFailed);
}

}  // namespace
}  // namespace safedesk::gateway
