#include "common/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <mutex>

namespace safedesk::log {
namespace {

struct State {
  std::mutex mu;
  Options options;
  spdlog::sink_ptr sink;
  std::shared_ptr<spdlog::logger> main;
};

State& GetState() {
  static State state;
  return state;
}

void AppendJsonEscaped(std::string_view text, spdlog::memory_buf_t& dest) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': dest.append(std::string_view("\\\"")); break;
      case '\\': dest.append(std::string_view("\\\\")); break;
      case '\n': dest.append(std::string_view("\\n")); break;
      case '\r': dest.append(std::string_view("\\r")); break;
      case '\t': dest.append(std::string_view("\\t")); break;
      default:
        if (u < 0x20 || u == 0x7f) {
          const char esc[] = {'\\', 'u', '0', '0', kHex[u >> 4], kHex[u & 15]};
          dest.append(esc, esc + sizeof(esc));
        } else {
          dest.push_back(c);
        }
    }
  }
}

// %j: the message, JSON-escaped.
class JsonPayloadFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    AppendJsonEscaped(std::string_view(msg.payload.data(), msg.payload.size()), dest);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonPayloadFlag>();
  }
};

// %J: the message with control characters escaped, so one event is one text line.
class TextPayloadFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    for (char c : std::string_view(msg.payload.data(), msg.payload.size())) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        dest.push_back('?');
      } else {
        dest.push_back(c);
      }
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<TextPayloadFlag>();
  }
};

std::unique_ptr<spdlog::formatter> MakeFormatter(const Options& options) {
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  formatter->add_flag<JsonPayloadFlag>('j');
  formatter->add_flag<TextPayloadFlag>('J');
  const std::string program = JsonEscape(options.program);
  if (options.format == Format::kJson) {
    formatter->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","program":")" + program +
                           R"(","session":"%n","msg":"%j"})");
  } else {
    formatter->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l " + options.program + " session=%n %J");
  }
  return formatter;
}

bool ValidSessionId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

void EnsureInitLocked(State& state) {
  if (state.main) return;
  state.sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  state.sink->set_formatter(MakeFormatter(state.options));
  state.main = std::make_shared<spdlog::logger>("-", state.sink);
  state.main->set_level(state.options.level);
}

}  // namespace

Result<Format> ParseFormat(std::string_view text) {
  if (text == "text") return Format::kText;
  if (text == "json") return Format::kJson;
  return MakeError(Errc::kInvalidArgument, "log format must be \"text\" or \"json\"");
}

Result<spdlog::level::level_enum> ParseLevel(std::string_view text) {
  for (auto level : {spdlog::level::trace, spdlog::level::debug, spdlog::level::info,
                     spdlog::level::warn, spdlog::level::err, spdlog::level::critical}) {
    if (text == spdlog::level::to_string_view(level)) return level;
  }
  if (text == "error") return spdlog::level::err;
  return MakeError(Errc::kInvalidArgument, "log level must be trace, debug, info, warning, error or critical");
}

void Init(const Options& options) {
  State& state = GetState();
  std::lock_guard lock(state.mu);
  state.options = options;
  if (options.file.empty()) {
    state.sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  } else {
    state.sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.file);
  }
  state.sink->set_formatter(MakeFormatter(options));
  state.main = std::make_shared<spdlog::logger>("-", state.sink);
  state.main->set_level(options.level);
  state.main->flush_on(spdlog::level::warn);
  // Lines reach the file within a second: the session loggers share this sink, and the
  // registry's periodic flush of the main logger flushes the sink for all of them.
  spdlog::drop(state.main->name());
  spdlog::register_logger(state.main);
  spdlog::flush_every(std::chrono::seconds(1));
}

std::shared_ptr<spdlog::logger> Main() {
  State& state = GetState();
  std::lock_guard lock(state.mu);
  EnsureInitLocked(state);
  return state.main;
}

std::shared_ptr<spdlog::logger> ForSession(std::string_view session_id) {
  State& state = GetState();
  std::lock_guard lock(state.mu);
  EnsureInitLocked(state);
  auto logger = std::make_shared<spdlog::logger>(
      ValidSessionId(session_id) ? std::string(session_id) : std::string("invalid"), state.sink);
  logger->set_level(state.options.level);
  logger->flush_on(spdlog::level::warn);
  return logger;
}

std::string JsonEscape(std::string_view text) {
  spdlog::memory_buf_t buf;
  AppendJsonEscaped(text, buf);
  return std::string(buf.data(), buf.size());
}

}  // namespace safedesk::log
