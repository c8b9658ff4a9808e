#pragma once
// Internal to config/: a parsed TOML document as a plain tree with source positions, so
// only document.cc sees toml++ and the schema code can be read (and tested) without it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace safedesk::config {

struct Node {
  enum class Kind { kString, kInteger, kFloat, kBoolean, kDateTime, kArray, kTable };
  struct Member;

  Kind kind = Kind::kTable;
  std::string text;  // kString: the value; kDateTime: as written, for messages
  std::int64_t integer = 0;
  double floating = 0;
  bool boolean = false;
  std::vector<Node> elements;   // kArray
  std::vector<Member> members;  // kTable, in file order
  int line = 0;                 // 0 for tables TOML creates implicitly
  int column = 0;
};

struct Node::Member {
  std::string key;
  Node value;
};

// "a string", "an integer", "an array", ... for messages.
std::string_view KindName(Node::Kind kind);
// A short rendering of a scalar ("integer 15", "string \"x\"", "an array").
std::string Describe(const Node& node);

struct SyntaxError {
  int line = 0;
  int column = 0;
  std::string message;
};

// The root table of `text`, or the first syntax error: toml++ stops at the first one.
struct ParsedDocument {
  std::optional<Node> root;
  std::optional<SyntaxError> error;
};
ParsedDocument ParseToml(std::string_view text, std::string_view source_name);

}  // namespace safedesk::config
