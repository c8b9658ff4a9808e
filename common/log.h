#pragma once
// Logging through spdlog. Every line carries the session id ("-" outside a session): a
// session's code logs through the logger ForSession() returns, whose name is the id.
// Two output formats: human text and one JSON object per line. Secrets never reach a
// log line: Secret has no formatter, so passing one does not compile.

#include <spdlog/logger.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace safedesk::log {

enum class Format { kText, kJson };

struct Options {
  std::string program = "safedesk";
  Format format = Format::kText;
  spdlog::level::level_enum level = spdlog::level::info;
  std::string file;  // empty: standard error
};

Result<Format> ParseFormat(std::string_view text);
Result<spdlog::level::level_enum> ParseLevel(std::string_view text);

// Installs the process-wide sinks and format. Safe to call again (tests do).
void Init(const Options& options);

// The logger for lines outside any session.
std::shared_ptr<spdlog::logger> Main();

// A logger whose every line carries `session_id`. Ids that are not [A-Za-z0-9_.-]{1,64}
// are replaced by "invalid" so a hostile id cannot forge log structure.
std::shared_ptr<spdlog::logger> ForSession(std::string_view session_id);

// Escapes text for inclusion inside a JSON string literal.
std::string JsonEscape(std::string_view text);

}  // namespace safedesk::log
