#pragma once
// Helpers for tests: a temporary directory removed at the end, paths into the source tree.

#include <filesystem>
#include <string>

namespace safedesk::testing {

// A fresh directory under $TMPDIR, removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& content, int mode = 0600) const;

 private:
  std::filesystem::path path_;
};

// The repository root (from SAFEDESK_SOURCE_DIR, set by CTest).
std::filesystem::path SourceDir();
// The CMake build directory (from SAFEDESK_BINARY_DIR, set by CTest).
std::filesystem::path BinaryDir();

}  // namespace safedesk::testing
