// The [recording] policy keys: what a recording keeps of sensitive keys and of the pointer.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "config/loader.h"
#include "tests/unit/config/config_test_support.h"

namespace safedesk::config {
namespace {

using ::testing::HasSubstr;

TEST(RecordingConfigTest, PoliciesDefaultToRedactedKeysAndFullPointer) {
  const Config c = LoadOk("");
  EXPECT_EQ(c.recording.sensitive_keys, SensitiveKeys::kRedacted);
  EXPECT_EQ(c.recording.pointer, PointerRecording::kFull);
}

TEST(RecordingConfigTest, ReadsEverySensitiveKeysPolicy) {
  EXPECT_EQ(LoadOk("[recording]\nsensitive_keys = \"full\"\n").recording.sensitive_keys, SensitiveKeys::kFull);
  EXPECT_EQ(LoadOk("[recording]\nsensitive_keys = \"redacted\"\n").recording.sensitive_keys, SensitiveKeys::kRedacted);
  EXPECT_EQ(LoadOk("[recording]\nsensitive_keys = \"never\"\n").recording.sensitive_keys, SensitiveKeys::kNever);
}

TEST(RecordingConfigTest, ReadsEveryPointerPolicy) {
  EXPECT_EQ(LoadOk("[recording]\npointer = \"full\"\n").recording.pointer, PointerRecording::kFull);
  EXPECT_EQ(LoadOk("[recording]\npointer = \"clicks\"\n").recording.pointer, PointerRecording::kClicks);
  EXPECT_EQ(LoadOk("[recording]\npointer = \"off\"\n").recording.pointer, PointerRecording::kOff);
}

TEST(RecordingConfigTest, UnknownSensitiveKeysPolicyNamesFileLineKeyAndChoices) {
  EXPECT_THAT(OnlyError("[recording]\nsensitive_keys = \"hashed\"\n"),
              HasSubstr("test.toml:2:18: recording.sensitive_keys: expected one of \"full\", \"redacted\" or \"never\""));
}

TEST(RecordingConfigTest, UnknownPointerPolicyNamesFileLineKeyAndChoices) {
  EXPECT_THAT(OnlyError("[recording]\npointer = 3\n"), HasSubstr("test.toml:2:11: recording.pointer"));
}

}  // namespace
}  // namespace safedesk::config
