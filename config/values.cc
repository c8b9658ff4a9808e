#include "config/values.h"

#include <fmt/format.h>

#include <array>
#include <limits>
#include <regex>
#include <span>
#include <utility>

namespace safedesk::config {
namespace {

// 2^64 has 20 digits; longer input is refused before the overflow check runs.
constexpr std::size_t kMaxDigits = 20;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Splits "123unit" into its leading digits and the rest.
std::pair<std::string_view, std::string_view> SplitNumber(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && IsDigit(text[i])) ++i;
  return {text.substr(0, i), text.substr(i)};
}

// Decimal digits to an unsigned value; false on overflow or no digits.
bool ParseDigits(std::string_view digits, std::uint64_t& out) {
  if (digits.empty() || digits.size() > kMaxDigits) return false;
  std::uint64_t value = 0;
  for (char c : digits) {
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (value > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return false;
    value = value * 10 + d;
  }
  out = value;
  return true;
}

struct Unit {
  std::string_view suffix;
  std::uint64_t factor;
};

constexpr std::array<Unit, 5> kDurationUnits = {{
    {"ms", 1},
    {"s", 1000},
    {"m", 60'000},
    {"h", 3'600'000},
    {"d", 86'400'000},
}};

constexpr std::array<Unit, 4> kSizeUnits = {{
    {"B", 1},
    {"KiB", 1ULL << 10},
    {"MiB", 1ULL << 20},
    {"GiB", 1ULL << 30},
}};

const Unit* FindUnit(std::string_view suffix, std::span<const Unit> units) {
  for (const Unit& unit : units) {
    if (unit.suffix == suffix) return &unit;
  }
  return nullptr;
}

Error DurationError(std::string_view text, std::string_view why) {
  return MakeError(Errc::kInvalidArgument,
                   fmt::format("expected a duration such as \"250ms\", \"30s\", \"15m\", \"8h\" "
                               "or \"2d\", found {}{}{}",
                               Quote(text), why.empty() ? "" : ": ", why));
}

Error SizeError(std::string_view text, std::string_view why) {
  return MakeError(Errc::kInvalidArgument,
                   fmt::format("expected a size such as \"4096\", \"64KiB\" or \"1MiB\", found "
                               "{}{}{}",
                               Quote(text), why.empty() ? "" : ": ", why));
}

// Why a duration that failed the basic grammar is wrong, for the common mistakes.
std::string DurationMistake(std::string_view text, std::string_view digits, std::string_view rest) {
  if (text.empty()) return "the value is empty";
  if (text.front() == '-') return "durations cannot be negative";
  if (!digits.empty() && rest.empty()) return "a unit is missing (ms, s, m, h or d)";
  if (!digits.empty() && !rest.empty() && rest.front() == '.') {
    return "fractions are not supported; use a smaller unit (\"90s\" rather than \"1.5m\")";
  }
  if (!digits.empty()) return fmt::format("unknown unit {}; use ms, s, m, h or d", Quote(rest));
  return "";
}

}  // namespace

Result<Duration> ParseDuration(std::string_view text) {
  const auto [digits, rest] = SplitNumber(text);
  const Unit* unit = FindUnit(rest, kDurationUnits);
  if (digits.empty() || unit == nullptr) {
    return DurationError(text, DurationMistake(text, digits, rest));
  }
  std::uint64_t count = 0;
  const auto max_ms = static_cast<std::uint64_t>(std::numeric_limits<Duration::rep>::max());
  if (!ParseDigits(digits, count) || count > max_ms / unit->factor) {
    return DurationError(text, "the value is too large");
  }
  return Duration(static_cast<Duration::rep>(count * unit->factor));
}

std::string FormatDuration(Duration d) {
  const auto ms = static_cast<std::uint64_t>(d.count() < 0 ? 0 : d.count());
  for (auto it = kDurationUnits.rbegin(); it != kDurationUnits.rend(); ++it) {
    if (ms != 0 && ms % it->factor == 0) return fmt::format("{}{}", ms / it->factor, it->suffix);
  }
  return fmt::format("{}ms", ms);
}

Result<std::uint64_t> ParseSize(std::string_view text) {
  const auto [digits, rest] = SplitNumber(text);
  if (text.empty()) return SizeError(text, "the value is empty");
  if (digits.empty()) return SizeError(text, "it must start with a number");
  const Unit* unit = rest.empty() ? &kSizeUnits[0] : FindUnit(rest, kSizeUnits);
  if (unit == nullptr) {
    return SizeError(text, fmt::format("unknown unit {}; use B, KiB, MiB or GiB", Quote(rest)));
  }
  std::uint64_t count = 0;
  if (!ParseDigits(digits, count) ||
      count > std::numeric_limits<std::uint64_t>::max() / unit->factor) {
    return SizeError(text, "the value is too large");
  }
  return count * unit->factor;
}

std::string FormatSize(std::uint64_t bytes) {
  for (auto it = kSizeUnits.rbegin(); it != kSizeUnits.rend(); ++it) {
    if (bytes != 0 && it->factor > 1 && bytes % it->factor == 0) {
      return fmt::format("{}{}", bytes / it->factor, it->suffix);
    }
  }
  return fmt::format("{}", bytes);
}

Result<ScreenSize> ParseScreenSize(std::string_view text) {
  const auto fail = [&](std::string_view why) -> Error {
    return MakeError(Errc::kInvalidArgument,
                     fmt::format("expected a screen size such as \"1280x800\", found {}{}{}",
                                 Quote(text), why.empty() ? "" : ": ", why));
  };
  const auto x = text.find('x');
  if (x == std::string_view::npos) return fail("");
  const std::string_view w = text.substr(0, x);
  const std::string_view h = text.substr(x + 1);
  std::uint64_t width = 0;
  std::uint64_t height = 0;
  if (SplitNumber(w).second.size() != 0 || SplitNumber(h).second.size() != 0 ||
      !ParseDigits(w, width) || !ParseDigits(h, height)) {
    return fail("");
  }
  if (width < 640 || width > 7680 || height < 480 || height > 4320) {
    return fail("each side must be within 640x480 and 7680x4320");
  }
  return ScreenSize{static_cast<int>(width), static_cast<int>(height)};
}

Result<void> ValidateRegex(std::string_view pattern) {
  try {
    std::regex compiled(pattern.begin(), pattern.end(), std::regex::ECMAScript);
    (void)compiled;
  } catch (const std::regex_error& e) {
    return MakeError(Errc::kInvalidArgument,
                     fmt::format("expected an ECMAScript regular expression, found {}: {}",
                                 Quote(pattern), e.what()));
  }
  return Ok();
}

Result<void> ValidateName(std::string_view name) {
  const auto allowed = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '_' || c == '.' ||
           c == '-';
  };
  bool ok = !name.empty() && name.size() <= 64 && allowed(name.front()) && name.front() != '_' &&
            name.front() != '.' && name.front() != '-';
  for (char c : name) ok = ok && allowed(c);
  if (ok) return Ok();
  return MakeError(Errc::kInvalidArgument,
                   fmt::format("expected a name of 1-64 letters, digits, '_', '.' or '-' "
                               "starting with a letter or digit, found {}",
                               Quote(name)));
}

Result<void> ValidateUserName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 64 && name.front() != '-';
  for (char c : name) ok = ok && c > ' ' && c < 0x7f;
  if (ok) return Ok();
  return MakeError(Errc::kInvalidArgument,
                   fmt::format("expected a user name of 1-64 printable ASCII characters without "
                               "spaces, found {}",
                               Quote(name)));
}

std::string Quote(std::string_view text) {
  constexpr std::size_t kMaxShown = 80;
  std::string out = "\"";
  for (char c : text.substr(0, kMaxShown)) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? '?' : c);
  }
  out += text.size() > kMaxShown ? "...\"" : "\"";
  return out;
}

}  // namespace safedesk::config
