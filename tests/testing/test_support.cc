#include "tests/testing/test_support.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

namespace safedesk::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/safedesk-test-XXXXXX";
  char* made = mkdtemp(pattern.data());
  if (made == nullptr) {
    ADD_FAILURE() << "mkdtemp failed";
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::Write(const std::string& name, const std::string& content, int mode) const {
  const auto file = path_ / name;
  std::filesystem::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  ::chmod(file.c_str(), static_cast<mode_t>(mode));
  return file.string();
}

std::filesystem::path SourceDir() {
  const char* dir = std::getenv("SAFEDESK_SOURCE_DIR");
  return dir != nullptr ? std::filesystem::path(dir) : std::filesystem::path(SAFEDESK_SOURCE_DIR_BUILTIN);
}

std::filesystem::path BinaryDir() {
  const char* dir = std::getenv("SAFEDESK_BINARY_DIR");
  return dir != nullptr ? std::filesystem::path(dir) : std::filesystem::path(SAFEDESK_BINARY_DIR_BUILTIN);
}

}  // namespace safedesk::testing
