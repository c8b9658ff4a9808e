#include "config/cli.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "tests/testing/test_support.h"

namespace safedesk::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Runs HandleConfigFlags on `args` (program name added) and keeps what it printed.
struct FlagRun {
  explicit FlagRun(std::vector<std::string> args, Component component = Component::kBroker) {
    args.insert(args.begin(), "safedesk-test");
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    outcome = HandleConfigFlags("safedesk-test", component, static_cast<int>(args.size()),
                                argv.data(), out, err);
  }
  CliOutcome outcome;
  std::ostringstream out;
  std::ostringstream err;
};

TEST(HandleConfigFlagsTest, NoFlagsGiveTheEmbeddedDefaults) {
  FlagRun run({});
  ASSERT_TRUE(run.outcome.config.has_value());
  EXPECT_FALSE(run.outcome.exit_code.has_value());
  EXPECT_EQ(run.outcome.config->source, "embedded defaults");
}

TEST(HandleConfigFlagsTest, ConfigFlagLoadsTheFileInBothSpellings) {
  testing::TempDir dir;
  const std::string file = dir.Write("s.toml", "[gateway]\njpeg_quality = 50\n");
  FlagRun separate({"--config", file});
  FlagRun joined({"--config=" + file});
  ASSERT_TRUE(separate.outcome.config && joined.outcome.config);
  EXPECT_EQ(separate.outcome.config->gateway.jpeg_quality, 50);
  EXPECT_EQ(joined.outcome.config->gateway.jpeg_quality, 50);
}

TEST(HandleConfigFlagsTest, CheckConfigPrintsOkWithTheFile) {
  testing::TempDir dir;
  const std::string file = dir.Write("s.toml", "");
  FlagRun run({"--check-config", "--config", file});
  EXPECT_EQ(run.outcome.exit_code, kExitOk);
  EXPECT_EQ(run.out.str(), "OK: " + file + "\n");
  EXPECT_EQ(run.err.str(), "");
}

TEST(HandleConfigFlagsTest, CheckConfigWithoutAFileChecksTheDefaults) {
  FlagRun run({"--check-config"});
  EXPECT_EQ(run.outcome.exit_code, kExitOk);
  EXPECT_EQ(run.out.str(), "OK: embedded defaults\n");
}

TEST(HandleConfigFlagsTest, CheckConfigPrintsEveryDiagnosticAndExitsOne) {
  testing::TempDir dir;
  const std::string file =
      dir.Write("s.toml", "[broker]\nlisen = 1\n[gateway]\njpeg_quality = 0\n");
  FlagRun run({"--config", file, "--check-config"});
  EXPECT_EQ(run.outcome.exit_code, kExitConfigError);
  EXPECT_EQ(run.out.str(), "");
  EXPECT_THAT(run.err.str(), HasSubstr(file + ":2:9: broker.lisen: unknown key"));
  EXPECT_THAT(run.err.str(), HasSubstr(file + ":4:16: gateway.jpeg_quality: expected"));
  EXPECT_THAT(run.err.str(), HasSubstr("safedesk-test: 2 configuration errors"));
}

TEST(HandleConfigFlagsTest, CheckConfigIncludesTheComponentsKeyFiles) {
  testing::TempDir dir;
  dir.Write("k.pem", "key", 0644);
  const std::string file = dir.Write("s.toml", "[agent]\nkey = \"k.pem\"\n");
  EXPECT_EQ(FlagRun({"--config", file, "--check-config"}, Component::kBroker).outcome.exit_code,
            kExitOk);
  FlagRun agent({"--config", file, "--check-config"}, Component::kAgent);
  EXPECT_EQ(agent.outcome.exit_code, kExitConfigError);
  EXPECT_THAT(agent.err.str(), HasSubstr("agent.key: "));
}

TEST(HandleConfigFlagsTest, BadConfigStopsTheProgramWithoutCheckConfigToo) {
  testing::TempDir dir;
  const std::string file = dir.Write("s.toml", "[log]\nlevel = \"loud\"\n");
  FlagRun run({"--config", file});
  EXPECT_EQ(run.outcome.exit_code, kExitConfigError);
  EXPECT_FALSE(run.outcome.config.has_value());
}

TEST(HandleConfigFlagsTest, MissingFileArgumentIsAUsageError) {
  FlagRun run({"--config"});
  EXPECT_EQ(run.outcome.exit_code, kExitUsage);
  EXPECT_THAT(run.err.str(), HasSubstr("--config needs a FILE argument"));
  EXPECT_EQ(FlagRun({"--config="}).outcome.exit_code, kExitUsage);
}

TEST(HandleConfigFlagsTest, ConfigGivenTwiceIsAUsageError) {
  EXPECT_EQ(FlagRun({"--config", "a", "--config", "b"}).outcome.exit_code, kExitUsage);
}

TEST(HandleConfigFlagsTest, OtherArgumentsAreLeftForTheProgramInOrder) {
  FlagRun run({"audit", "--live", "verify"});
  ASSERT_TRUE(run.outcome.config.has_value());
  EXPECT_THAT(run.outcome.args, ElementsAre("audit", "--live", "verify"));
}

TEST(HandleConfigFlagsTest, EverythingAfterDoubleDashIsLeftAlone) {
  FlagRun run({"x", "--", "--config", "y"});
  ASSERT_TRUE(run.outcome.config.has_value());
  EXPECT_THAT(run.outcome.args, ElementsAre("x", "--config", "y"));
}

TEST(HandleConfigFlagsTest, HelpPrintsUsageAndExitsZero) {
  FlagRun run({"--help"});
  EXPECT_EQ(run.outcome.exit_code, kExitOk);
  EXPECT_THAT(run.out.str(), HasSubstr("Usage: safedesk-test [--config FILE] [--check-config]"));
}

TEST(HandleConfigFlagsTest, VersionPrintsTheRelease) {
  FlagRun run({"--version"});
  EXPECT_EQ(run.outcome.exit_code, kExitOk);
  EXPECT_EQ(run.out.str(), "safedesk-test " + std::string(Version()) + "\n");
}

TEST(LogOptionsTest, MapsLevelFormatAndFile) {
  LogConfig config;
  config.level = LogLevel::kWarning;
  config.format = LogFormat::kJson;
  config.file = "/var/log/safedesk.log";
  const log::Options options = LogOptions("safedesk-broker", config);
  EXPECT_EQ(options.program, "safedesk-broker");
  EXPECT_EQ(options.level, spdlog::level::warn);
  EXPECT_EQ(options.format, log::Format::kJson);
  EXPECT_EQ(options.file, "/var/log/safedesk.log");
}

TEST(InitLoggingTest, UnwritableLogFileIsAnErrorNotAnException) {
  testing::TempDir dir;
  LogConfig config;
  // Under a regular file: no directory can be created there, whoever runs the test.
  config.file = std::filesystem::path(dir.Write("plain", "")) / "safedesk.log";
  auto result = InitLogging("safedesk-test", config);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error().message, HasSubstr("cannot open the log file"));
  ASSERT_TRUE(InitLogging("safedesk-test", LogConfig{}).ok());
}

}  // namespace
}  // namespace safedesk::config
