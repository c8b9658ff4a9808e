#pragma once
// Reading a deployment's TOML file into a Config. Every problem is collected, none stops
// the reading, so one run of --check-config shows them all.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace safedesk::config {

struct Diagnostic {
  std::string file;
  int line = 0;  // 0: the problem has no single line (unreadable file, missing section)
  int column = 0;
  std::string key;      // dotted, e.g. "projects[1].max_duration"; empty for syntax errors
  std::string message;  // what was expected and what was found

  // "file:line:col: key: message", leaving out the parts that are unknown.
  std::string ToString() const;
};

struct LoadResult {
  std::optional<Config> config;  // set only when diagnostics is empty
  std::vector<Diagnostic> diagnostics;
  bool ok() const { return config.has_value(); }
};

// Caps the file read: a configuration is a few KiB; anything larger is a mistake.
constexpr std::size_t kMaxConfigBytes = 1 << 20;

// Reads and validates `file`. Relative paths inside resolve against its directory.
LoadResult Load(const std::filesystem::path& file);

// Validates `text` as if read from `source_name`, resolving relative paths against
// `base_dir`.
LoadResult LoadString(std::string_view text, std::string_view source_name,
                      const std::filesystem::path& base_dir);

// The embedded defaults, relative paths resolved against `base_dir`.
Config Defaults(const std::filesystem::path& base_dir);
// The embedded defaults for a run without a file: paths resolve against the working
// directory.
Config Defaults();

// Checks the key and certificate files `component` reads: each configured one must be
// an existing regular file, and private keys must not be readable by group or others.
// Separate from Load because only the component that opens a file needs it present.
std::vector<Diagnostic> CheckFiles(const Config& config, Component component);

}  // namespace safedesk::config
