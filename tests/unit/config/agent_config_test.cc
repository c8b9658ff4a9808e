// The [agent] keys the sandbox provider writes for each desktop.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/loader.h"
#include "tests/unit/config/config_test_support.h"

namespace safedesk::config {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

TEST(AgentConfigTest, ReadsTheDesktopKeys) {
  const Config c = LoadOk(
      "[agent]\ndesktop_id = \"desk-1\"\nsession_id = \"s1\"\nprocess_args = \"truncated\"\n"
      "dataset_path = \"/data\"\nallowed_peers = [\"10.0.0.1/32\"]\n");
  EXPECT_EQ(c.agent.desktop_id, "desk-1");
  EXPECT_EQ(c.agent.session_id, "s1");
  EXPECT_EQ(c.agent.process_args, ProcessArgs::kTruncated);
  EXPECT_EQ(c.agent.dataset_path, std::filesystem::path("/data"));
  EXPECT_THAT(c.agent.allowed_peers, SizeIs(1));
}

TEST(AgentConfigTest, ProcessArgsDefaultsToHashed) {
  EXPECT_EQ(LoadOk("").agent.process_args, ProcessArgs::kHashed);
}

TEST(AgentConfigTest, RefusesUnknownProcessArgs) {
  EXPECT_THAT(OnlyError("[agent]\nprocess_args = \"full\"\n"),
              HasSubstr("test.toml:2:16: agent.process_args"));
}

TEST(AgentConfigTest, RefusesBadDesktopId) {
  EXPECT_THAT(OnlyError("[agent]\ndesktop_id = \"a b\"\n"), HasSubstr("agent.desktop_id"));
}

TEST(AgentConfigTest, ReadsMaskRules) {
  const Config c = LoadOk(
      "[[agent.mask_rules]]\nwm_class = \"^XTerm$\"\n[[agent.mask_rules]]\ntitle = \"secret\"\n");
  EXPECT_EQ(c.agent.mask_rules, (std::vector<MaskRule>{{"^XTerm$", ""}, {"", "secret"}}));
}

TEST(AgentConfigTest, RefusesBadRegexInAgentMaskRule) {
  EXPECT_THAT(OnlyError("[[agent.mask_rules]]\ntitle = \"(x\"\n"),
              HasSubstr("agent.mask_rules[0].title"));
}

}  // namespace
}  // namespace safedesk::config
