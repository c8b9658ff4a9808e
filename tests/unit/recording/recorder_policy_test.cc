// The recorder's key and pointer policies ([recording] sensitive_keys, pointer): what a
// recording keeps of keys typed while focus is sensitive, and of the pointer.
#include <gtest/gtest.h>

#include "tests/testing/test_support.h"
#include "tests/unit/recording/recorder_test_util.h"

namespace safedesk::gateway {
namespace {

constexpr int kW = 32, kH = 16;
constexpr std::uint16_t kPlainKey = 0x1E;      // typed while focus is not sensitive
constexpr std::uint16_t kSensitiveKey = 0x1F;  // typed while focus is sensitive

class RecorderPolicyTest : public ::testing::Test {
 protected:
  std::unique_ptr<Recorder> Start(KeyPolicy keys, PointerPolicy pointer) {
    RecorderOptions o;
    o.path = path_;
    o.session_id = "s-policy";
    o.width = kW;
    o.height = kH;
    o.sensitive_keys = keys;
    o.pointer = pointer;
    auto r = Recorder::Start(o, testutil::SealKey(), std::nullopt, clock_, random_, nullptr);
    EXPECT_TRUE(r.ok());
    return r.ok() ? std::move(*r) : nullptr;
  }
  // The agent reports (after the event before it) with focus sensitive or not.
  void Report(Recorder& r, bool focus_sensitive) {
    clock_.Advance(std::chrono::milliseconds(10));
    MaskSnapshot m;
    m.received = clock_.Monotonic();
    m.sampled = m.received;
    m.screen_width = kW;
    m.screen_height = kH;
    m.focus_sensitive = focus_sensitive;
    r.OnMasks(m);
  }
  void Key(Recorder& r, std::uint16_t scancode, bool focus_sensitive) {
    ASSERT_TRUE(r.OnInput({.at = clock_.Now(), .kind = InputEvent::Kind::kKey, .scancode = scancode, .down = true}).ok());
    Report(r, focus_sensitive);
  }
  void Pointer(Recorder& r, int x, int buttons, int wheel) {
    const auto kind = wheel != 0 ? InputEvent::Kind::kWheel : InputEvent::Kind::kPointer;
    ASSERT_TRUE(r.OnInput({.at = clock_.Now(), .kind = kind, .x = x, .y = 1, .buttons = buttons, .wheel_delta = wheel}).ok());
    Report(r, false);
  }
  // Types one plain and one sensitive key, finishes, returns the keys recorded.
  std::vector<recording::DecodedKey> KeysRecorded(KeyPolicy policy) {
    auto r = Start(policy, PointerPolicy::kFull);
    Report(*r, false);
    Key(*r, kPlainKey, false);
    Key(*r, kSensitiveKey, true);
    EXPECT_TRUE(r->Finish().ok());
    std::vector<recording::DecodedKey> keys;
    testutil::DecodeAll(path_, nullptr, [&](const recording::DecodedKey& k) { keys.push_back(k); });
    return keys;
  }
  // A move, a click and a wheel turn; finishes, returns the x of each pointer event recorded.
  std::vector<int> PointerRecorded(PointerPolicy policy) {
    auto r = Start(KeyPolicy::kRedacted, policy);
    Report(*r, false);
    Pointer(*r, 1, 0, 0);
    Pointer(*r, 2, 1, 0);
    Pointer(*r, 3, 0, -120);
    EXPECT_TRUE(r->Finish().ok());
    std::vector<int> xs;
    auto reader = recording::RecordingReader::Open(path_);
    EXPECT_TRUE(reader.ok());
    recording::FrameDecoder decoder(kW, kH);
    for (std::size_t i = 0; reader.ok() && i < (*reader)->index().size(); ++i) {
      auto payload = (*reader)->ReadChunk(i);
      EXPECT_TRUE(payload.ok());
      EXPECT_TRUE(decoder.DecodeChunk(*payload, nullptr, nullptr, [&](const recording::DecodedPointer& p) {
        xs.push_back(p.x);
        if (p.x == 3) {
          EXPECT_EQ(p.wheel, -120);
        }
      }).ok());
    }
    return xs;
  }

  testing::TempDir dir_;
  std::string path_ = (dir_.path() / "r").string();
  ManualClock clock_;
  SeededRandom random_{4};
};

TEST_F(RecorderPolicyTest, RedactedKeepsThatASensitiveKeyWasPressedButNotWhich) {
  const auto keys = KeysRecorded(KeyPolicy::kRedacted);
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].scancode, kPlainKey);
  EXPECT_FALSE(keys[0].redacted);
  EXPECT_EQ(keys[1].scancode, 0);
  EXPECT_TRUE(keys[1].redacted);
}

TEST_F(RecorderPolicyTest, NeverDropsSensitiveKeysAndKeepsPlainOnes) {
  const auto keys = KeysRecorded(KeyPolicy::kNever);
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].scancode, kPlainKey);
}

TEST_F(RecorderPolicyTest, FullKeepsSensitiveKeys) {
  const auto keys = KeysRecorded(KeyPolicy::kFull);
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[1].scancode, kSensitiveKey);
  EXPECT_FALSE(keys[1].redacted);
}

TEST_F(RecorderPolicyTest, PointerFullKeepsMovesClicksAndWheel) {
  EXPECT_EQ(PointerRecorded(PointerPolicy::kFull), (std::vector<int>{1, 2, 3}));
}

TEST_F(RecorderPolicyTest, PointerClicksKeepsOnlyButtonsAndWheel) {
  EXPECT_EQ(PointerRecorded(PointerPolicy::kClicks), (std::vector<int>{2, 3}));
}

TEST_F(RecorderPolicyTest, PointerOffKeepsNothing) { EXPECT_TRUE(PointerRecorded(PointerPolicy::kOff).empty()); }

}  // namespace
}  // namespace safedesk::gateway
