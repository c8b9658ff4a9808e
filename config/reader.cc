#include "config/reader.h"

#include <fmt/format.h>

#include <algorithm>

namespace safedesk::config {
namespace {

// Edit distance, for "did you mean" on unknown keys; keys are short.
std::size_t Distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string UnknownKeyMessage(std::string_view key, const std::vector<std::string>& known) {
  const std::string* best = nullptr;
  std::size_t best_distance = 3;  // further than two edits is not a typo
  for (const std::string& candidate : known) {
    const std::size_t d = Distance(key, candidate);
    if (d < best_distance) {
      best = &candidate;
      best_distance = d;
    }
  }
  if (best != nullptr) return fmt::format("unknown key; did you mean \"{}\"?", *best);
  std::vector<std::string_view> names(known.begin(), known.end());
  return "unknown key; expected one of " + ChoiceList(names);
}

}  // namespace

std::string ChoiceList(const std::vector<std::string_view>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += fmt::format("\"{}\"", names[i]);
  }
  return out;
}

void LoadContext::Error(int line, int column, std::string key, std::string message) {
  diagnostics_.push_back(Diagnostic{file_, line, column, std::move(key), std::move(message)});
}

void LoadContext::ErrorAtKey(const std::string& key, std::string message) {
  // "projects[1].pool" -> "projects[1]" -> "projects": the closest place the file names.
  for (std::string probe = key; !probe.empty();) {
    if (auto it = locations_.find(probe); it != locations_.end() && it->second.line > 0) {
      Error(it->second.line, it->second.column, key, std::move(message));
      return;
    }
    const auto cut = probe.find_last_of(".[");
    probe = cut == std::string::npos ? std::string() : probe.substr(0, cut);
  }
  Error(0, 0, key, std::move(message));
}

void LoadContext::Remember(const std::string& key, const Node& at) {
  locations_[key] = SourceLocation{file_, at.line, at.column};
}

TableReader::TableReader(const Node& table, std::string prefix, LoadContext& context)
    : table_(table), prefix_(std::move(prefix)), context_(context) {}

std::string TableReader::KeyPath(std::string_view key) const {
  return prefix_.empty() ? std::string(key) : fmt::format("{}.{}", prefix_, key);
}

const Node* TableReader::Take(std::string_view key) {
  known_.emplace_back(key);
  for (const Node::Member& member : table_.members) {
    if (member.key == key) {
      context_.Remember(KeyPath(key), member.value);
      return &member.value;
    }
  }
  return nullptr;
}

bool TableReader::Require(std::string_view key, std::string_view expected) {
  for (const Node::Member& member : table_.members) {
    if (member.key == key) return true;
  }
  context_.Error(table_, KeyPath(key),
                 fmt::format("required key is missing; expected {}", expected));
  return false;
}

const Node* TableReader::TakeKind(std::string_view key, Node::Kind kind, std::string_view what) {
  const Node* node = Take(key);
  if (node == nullptr || node->kind == kind) return node;
  context_.Error(*node, KeyPath(key), fmt::format("expected {}, found {}", what, Describe(*node)));
  return nullptr;
}

void TableReader::String(std::string_view key, std::string& out) {
  if (const Node* node = TakeKind(key, Node::Kind::kString, "a string")) out = node->text;
}

void TableReader::NonEmptyString(std::string_view key, std::string& out, std::string_view what) {
  const Node* node = TakeKind(key, Node::Kind::kString, what);
  if (node == nullptr) return;
  if (node->text.empty()) {
    context_.Error(*node, KeyPath(key), fmt::format("expected {}, found an empty string", what));
    return;
  }
  out = node->text;
}

void TableReader::CheckedString(std::string_view key, std::string& out, std::string_view what,
                                const std::function<Result<void>(std::string_view)>& check) {
  ParseString(key, out, what, [&check](std::string_view text) -> Result<std::string> {
    if (auto valid = check(text); !valid) return valid.error();
    return std::string(text);
  });
}

void TableReader::Bool(std::string_view key, bool& out) {
  if (const Node* node = TakeKind(key, Node::Kind::kBoolean, "true or false")) out = node->boolean;
}

void TableReader::Int(std::string_view key, int& out, int min, int max) {
  const std::string what = fmt::format("an integer from {} to {}", min, max);
  const Node* node = TakeKind(key, Node::Kind::kInteger, what);
  if (node == nullptr) return;
  if (node->integer < min || node->integer > max) {
    context_.Error(*node, KeyPath(key), fmt::format("expected {}, found {}", what, node->integer));
    return;
  }
  out = static_cast<int>(node->integer);
}

void TableReader::DurationIn(std::string_view key, Duration& out, Duration min, Duration max) {
  const Node* node = TakeKind(key, Node::Kind::kString, "a duration string such as \"15m\"");
  if (node == nullptr) return;
  auto value = ParseDuration(node->text);
  if (value.ok() && (*value < min || *value > max)) {
    value = MakeError(Errc::kInvalidArgument,
                      fmt::format("expected a duration from {} to {}, found {}",
                                  FormatDuration(min), FormatDuration(max), Quote(node->text)));
  }
  if (!value) {
    context_.Error(*node, KeyPath(key), value.error().message);
    return;
  }
  out = *value;
}

void TableReader::Size(std::string_view key, std::uint64_t& out, std::uint64_t min,
                       std::uint64_t max) {
  const std::string what =
      fmt::format("a size from {} to {} such as \"64KiB\"", FormatSize(min), FormatSize(max));
  const Node* node = Take(key);
  if (node == nullptr) return;
  Result<std::uint64_t> value = MakeError(Errc::kInvalidArgument, "");
  if (node->kind == Node::Kind::kString) {
    value = ParseSize(node->text);
  } else if (node->kind == Node::Kind::kInteger && node->integer >= 0) {
    value = static_cast<std::uint64_t>(node->integer);
  } else {
    value = MakeError(Errc::kInvalidArgument,
                      fmt::format("expected {}, found {}", what, Describe(*node)));
  }
  if (value.ok() && (*value < min || *value > max)) {
    value = MakeError(Errc::kInvalidArgument,
                      fmt::format("expected {}, found {}", what, FormatSize(*value)));
  }
  if (!value) {
    context_.Error(*node, KeyPath(key), value.error().message);
    return;
  }
  out = *value;
}

void TableReader::PathValue(std::string_view key, Path& out, bool required) {
  const Node* node = TakeKind(key, Node::Kind::kString, "a path");
  if (node == nullptr) return;
  if (node->text.find('\0') != std::string::npos) {
    context_.Error(*node, KeyPath(key), "expected a path, found a string holding a NUL byte");
  } else if (required && node->text.empty()) {
    context_.Error(*node, KeyPath(key), "expected a path, found an empty string");
  } else {
    out = node->text;
  }
}

void TableReader::Address(std::string_view key, HostPort& out, PortZero port_zero) {
  ParseString(key, out, "a host:port string such as \"127.0.0.1:8443\"",
              [port_zero](std::string_view text) { return ParseHostPort(text, port_zero); });
}

void TableReader::OptionalAddress(std::string_view key, std::optional<HostPort>& out,
                                  PortZero port_zero) {
  ParseString(key, out, "a host:port string such as \"127.0.0.1:9464\", or \"\" for none",
              [port_zero](std::string_view text) -> Result<std::optional<HostPort>> {
                if (text.empty()) return std::optional<HostPort>();
                auto parsed = ParseHostPort(text, port_zero);
                if (!parsed) return parsed.error();
                return std::optional<HostPort>(*parsed);
              });
}

void TableReader::Url(std::string_view key, std::string& out) {
  ParseString(key, out, "an https URL string", [](std::string_view text) -> Result<std::string> {
    auto parsed = ParseHttpsUrl(text);
    if (!parsed) return parsed.error();
    return std::string(text);
  });
}

template <class T, class Parse>
void TableReader::ListOf(std::string_view key, std::vector<T>& out, std::string_view what,
                         Parse parse) {
  const Node* node = TakeKind(key, Node::Kind::kArray, what);
  if (node == nullptr) return;
  std::vector<T> values;
  for (std::size_t i = 0; i < node->elements.size(); ++i) {
    const Node& element = node->elements[i];
    // An element's own position is missing in some toml++ builds; the array's is not.
    const Node& at = element.line > 0 ? element : *node;
    const std::string element_key = fmt::format("{}[{}]", KeyPath(key), i);
    if (element.kind != Node::Kind::kString) {
      context_.Error(at, element_key,
                     fmt::format("expected a string, found {}", Describe(element)));
      continue;
    }
    auto parsed = parse(element.text);
    if (!parsed) {
      context_.Error(at, element_key, parsed.error().message);
      continue;
    }
    values.push_back(std::move(*parsed));
  }
  // A list with a bad element is not used at all: half an allowlist is worse than none.
  if (values.size() == node->elements.size()) out = std::move(values);
}

void TableReader::StringList(std::string_view key, std::vector<std::string>& out,
                             const std::function<Result<void>(std::string_view)>& check) {
  ListOf(key, out, "an array of strings", [&check](std::string_view text) -> Result<std::string> {
    if (auto valid = check(text); !valid) return valid.error();
    return std::string(text);
  });
}

void TableReader::CidrList(std::string_view key, std::vector<Cidr>& out) {
  ListOf(key, out, "an array of CIDR strings such as [\"10.0.0.0/8\"]", ParseCidr);
}

bool TableReader::TableArray(std::string_view key,
                             const std::function<void(TableReader&, std::size_t)>& read) {
  const Node* node = Take(key);
  if (node == nullptr) return false;
  if (node->kind != Node::Kind::kArray) {
    context_.Error(*node, KeyPath(key),
                   fmt::format("expected an array of tables ([[{}]]), found {}", KeyPath(key),
                               Describe(*node)));
    return true;
  }
  for (std::size_t i = 0; i < node->elements.size(); ++i) {
    const Node& element = node->elements[i];
    const std::string element_key = fmt::format("{}[{}]", KeyPath(key), i);
    if (element.kind != Node::Kind::kTable) {
      context_.Error(element.line > 0 ? element : *node, element_key,
                     fmt::format("expected a table, found {}", Describe(element)));
      continue;
    }
    context_.Remember(element_key, element);
    TableReader reader(element, element_key, context_);
    read(reader, i);
    reader.Finish();
  }
  return true;
}

void TableReader::Table(std::string_view key, const std::function<void(TableReader&)>& read) {
  const Node* node = TakeKind(key, Node::Kind::kTable, fmt::format("a table ([{}])", KeyPath(key)));
  if (node == nullptr) return;
  TableReader reader(*node, KeyPath(key), context_);
  read(reader);
  reader.Finish();
}

void TableReader::Finish() {
  for (const Node::Member& member : table_.members) {
    if (std::find(known_.begin(), known_.end(), member.key) != known_.end()) continue;
    context_.Error(member.value, KeyPath(member.key), UnknownKeyMessage(member.key, known_));
  }
}

}  // namespace safedesk::config
