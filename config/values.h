#pragma once
// Scalar values found in the configuration: durations, byte sizes, screen sizes, regular
// expressions and names. Each parser's error message says what was expected and what was
// found; the loader adds file, line and key.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace safedesk::config {

using Duration = std::chrono::milliseconds;

// One integer and one unit: "250ms", "30s", "15m", "8h", "2d". No sign, no fraction
// ("1.5m" is an error that suggests "90s"), no compound forms: one obvious spelling per
// value keeps configs greppable. Values that overflow milliseconds are errors.
Result<Duration> ParseDuration(std::string_view text);

// The largest unit that represents `d` exactly: 90000ms -> "90s", 900000ms -> "15m".
std::string FormatDuration(Duration d);

// "512B", "64KiB", "1MiB", "2GiB", or a bare number of bytes ("4096"). Only binary units:
// "MB" is refused rather than guessed as 10^6 or 2^20.
Result<std::uint64_t> ParseSize(std::string_view text);

// "1MiB" for 1048576; bytes when no unit divides exactly.
std::string FormatSize(std::uint64_t bytes);

struct ScreenSize {
  int width = 0;
  int height = 0;
  bool operator==(const ScreenSize&) const = default;
};

// "1280x800"; each side within what an RDP desktop supports (640x480 to 7680x4320).
Result<ScreenSize> ParseScreenSize(std::string_view text);

// Compiles `pattern` as an ECMAScript std::regex so a typo fails at start-up, not when
// the first window appears.
Result<void> ValidateRegex(std::string_view pattern);

// Names of roles, pools and projects: 1-64 of [A-Za-z0-9_.-], starting with a letter or
// digit. They appear in URLs, logs and audit records, so no spaces or punctuation.
Result<void> ValidateName(std::string_view name);

// User names as PAM knows them: 1-64 bytes, printable ASCII, no spaces, not starting
// with '-'.
Result<void> ValidateUserName(std::string_view name);

// `text` in double quotes for a message, control characters shown as '?', cut at 80
// bytes: a diagnostic must stay one readable line whatever the file holds.
std::string Quote(std::string_view text);

}  // namespace safedesk::config
