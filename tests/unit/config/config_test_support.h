#pragma once
// Loading TOML text in the config tests: a document that must load cleanly, or one that
// must give exactly one diagnostic (its text returned).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "config/loader.h"

namespace safedesk::config {

inline const std::filesystem::path kTestBase = "/etc/safedesk";

inline std::string OnlyError(std::string_view toml) {
  const auto diagnostics = LoadString(toml, "test.toml", kTestBase).diagnostics;
  EXPECT_THAT(diagnostics, ::testing::SizeIs(1));
  return diagnostics.empty() ? "" : diagnostics.front().ToString();
}

inline Config LoadOk(std::string_view toml) {
  LoadResult result = LoadString(toml, "test.toml", kTestBase);
  for (const Diagnostic& d : result.diagnostics) ADD_FAILURE() << d.ToString();
  return result.config.value_or(Config{});
}

}  // namespace safedesk::config
