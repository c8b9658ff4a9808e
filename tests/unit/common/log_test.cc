#include "common/log.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/testing/test_support.h"

namespace safedesk {
namespace {

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class LogTest : public ::testing::Test {
 protected:
  void TearDown() override { log::Init(log::Options{}); }
  testing::TempDir dir_;
};

TEST_F(LogTest, JsonLinesCarryTheSessionIdAndEscapeTheMessage) {
  const auto file = dir_.path() / "log.json";
  log::Init({.program = "test", .format = log::Format::kJson, .level = spdlog::level::info, .file = file});
  log::ForSession("s-123")->info("quote \" and newline \n here");
  log::Main()->flush();
  log::ForSession("s-123")->flush();
  const std::string text = ReadAll(file);
  EXPECT_NE(text.find(R"("session":"s-123")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(quote \" and newline \n here)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("program":"test")"), std::string::npos) << text;
}

TEST_F(LogTest, LinesOutsideASessionCarryADash) {
  const auto file = dir_.path() / "log.txt";
  log::Init({.program = "test", .format = log::Format::kText, .level = spdlog::level::info, .file = file});
  log::Main()->info("hello");
  log::Main()->flush();
  EXPECT_NE(ReadAll(file).find("session=- hello"), std::string::npos);
}

TEST_F(LogTest, HostileSessionIdIsReplaced) {
  const auto file = dir_.path() / "log.json";
  log::Init({.program = "test", .format = log::Format::kJson, .level = spdlog::level::info, .file = file});
  auto logger = log::ForSession("x\",\"level\":\"forged");
  logger->info("m");
  logger->flush();
  const std::string text = ReadAll(file);
  EXPECT_EQ(text.find("forged"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("session":"invalid")"), std::string::npos) << text;
}

TEST_F(LogTest, TextFormatNeutralisesControlCharacters) {
  const auto file = dir_.path() / "log.txt";
  log::Init({.program = "test", .format = log::Format::kText, .level = spdlog::level::info, .file = file});
  log::Main()->info("line1\nFAKE line");
  log::Main()->flush();
  const std::string text = ReadAll(file);
  EXPECT_NE(text.find("line1?FAKE line"), std::string::npos) << text;
}

TEST(LogParseTest, ParsesLevelsAndFormats) {
  EXPECT_EQ(*log::ParseLevel("debug"), spdlog::level::debug);
  EXPECT_EQ(*log::ParseLevel("error"), spdlog::level::err);
  EXPECT_FALSE(log::ParseLevel("loud").ok());
  EXPECT_EQ(*log::ParseFormat("json"), log::Format::kJson);
  EXPECT_FALSE(log::ParseFormat("xml").ok());
}

}  // namespace
}  // namespace safedesk
