#pragma once
// Internal to config/: typed reading of one TOML table with every problem recorded as a
// Diagnostic, and the keys nobody asked for reported as unknown.

#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "config/document.h"
#include "config/loader.h"

namespace safedesk::config {

// What one load collects: diagnostics and where each key was set.
class LoadContext {
 public:
  explicit LoadContext(std::string file) : file_(std::move(file)) {}

  const std::string& file() const { return file_; }
  void Error(int line, int column, std::string key, std::string message);
  void Error(const Node& at, std::string key, std::string message) {
    Error(at.line, at.column, std::move(key), std::move(message));
  }
  // At the recorded location of `key`, or of the nearest enclosing table that has one.
  void ErrorAtKey(const std::string& key, std::string message);
  void Remember(const std::string& key, const Node& at);

  std::vector<Diagnostic> TakeDiagnostics() { return std::move(diagnostics_); }
  std::map<std::string, SourceLocation, std::less<>> TakeLocations() {
    return std::move(locations_);
  }

 private:
  std::string file_;
  std::vector<Diagnostic> diagnostics_;
  std::map<std::string, SourceLocation, std::less<>> locations_;
};

// Reads the keys of one table. Each getter leaves `out` unchanged (the default) when the
// key is absent, and records a diagnostic when the value is unusable. Finish() reports
// every key no getter asked for.
class TableReader {
 public:
  // `prefix` is the dotted path of the table ("broker", "projects[2]"); empty for the root.
  TableReader(const Node& table, std::string prefix, LoadContext& context);

  std::string KeyPath(std::string_view key) const;
  const Node& table() const { return table_; }
  LoadContext& context() { return context_; }

  // Marks `key` as known and returns its value, or nullptr when absent.
  const Node* Take(std::string_view key);
  // Reports a required key that is absent at the table's own line.
  bool Require(std::string_view key, std::string_view expected);

  void String(std::string_view key, std::string& out);
  void NonEmptyString(std::string_view key, std::string& out, std::string_view what);
  // A string that `check` accepts; `what` describes it for a type error.
  void CheckedString(std::string_view key, std::string& out, std::string_view what,
                     const std::function<Result<void>(std::string_view)>& check);
  void Bool(std::string_view key, bool& out);
  void Int(std::string_view key, int& out, int min, int max);
  void DurationIn(std::string_view key, Duration& out, Duration min, Duration max);
  void Size(std::string_view key, std::uint64_t& out, std::uint64_t min, std::uint64_t max);
  // Empty is allowed only for optional paths ("not configured").
  void PathValue(std::string_view key, Path& out, bool required);
  void Address(std::string_view key, HostPort& out, PortZero port_zero);
  // An empty string leaves the address unset.
  void OptionalAddress(std::string_view key, std::optional<HostPort>& out, PortZero port_zero);
  void Url(std::string_view key, std::string& out);
  void StringList(std::string_view key, std::vector<std::string>& out,
                  const std::function<Result<void>(std::string_view)>& check);
  void CidrList(std::string_view key, std::vector<Cidr>& out);

  template <class E>
  void Enum(std::string_view key, E& out,
            std::initializer_list<std::pair<std::string_view, E>> choices);

  // Reads every table of an array of tables (`[[key]]`) with `read`. Returns false when
  // the key is absent, so the caller can keep its defaults.
  bool TableArray(std::string_view key,
                  const std::function<void(TableReader&, std::size_t index)>& read);
  // Reads a sub-table (`[key]`) with `read` when present.
  void Table(std::string_view key, const std::function<void(TableReader&)>& read);

  void Finish();

 private:
  // Takes `key` and checks its kind; reports a type error and returns nullptr otherwise.
  const Node* TakeKind(std::string_view key, Node::Kind kind, std::string_view what);
  // Runs `parse` on a string value and stores the result, or reports its error.
  template <class T, class Parse>
  void ParseString(std::string_view key, T& out, std::string_view what, Parse parse);
  // The same for each element of an array of strings; `out` changes only when all parse.
  template <class T, class Parse>
  void ListOf(std::string_view key, std::vector<T>& out, std::string_view what, Parse parse);

  const Node& table_;
  std::string prefix_;
  LoadContext& context_;
  std::vector<std::string> known_;
};

template <class T, class Parse>
void TableReader::ParseString(std::string_view key, T& out, std::string_view what, Parse parse) {
  const Node* node = TakeKind(key, Node::Kind::kString, what);
  if (node == nullptr) return;
  auto parsed = parse(node->text);
  if (!parsed) {
    context_.Error(*node, KeyPath(key), parsed.error().message);
    return;
  }
  out = std::move(*parsed);
}

std::string ChoiceList(const std::vector<std::string_view>& names);

template <class E>
void TableReader::Enum(std::string_view key, E& out,
                       std::initializer_list<std::pair<std::string_view, E>> choices) {
  std::vector<std::string_view> names;
  for (const auto& choice : choices) names.push_back(choice.first);
  const std::string what = "one of " + ChoiceList(names);
  const Node* node = TakeKind(key, Node::Kind::kString, what);
  if (node == nullptr) return;
  for (const auto& [name, value] : choices) {
    if (node->text == name) {
      out = value;
      return;
    }
  }
  context_.Error(*node, KeyPath(key), "expected " + what + ", found " + Quote(node->text));
}

}  // namespace safedesk::config
