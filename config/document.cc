#include "config/document.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include "config/values.h"

namespace safedesk::config {
namespace {

void SetPosition(const toml::node& from, Node& to) {
  to.line = static_cast<int>(from.source().begin.line);
  to.column = static_cast<int>(from.source().begin.column);
}

Node Convert(const toml::node& from);

Node ConvertTable(const toml::table& table) {
  Node node;
  node.kind = Node::Kind::kTable;
  SetPosition(table, node);
  for (auto&& [key, value] : table) {
    node.members.push_back(Node::Member{std::string(key.str()), Convert(value)});
  }
  return node;
}

Node ConvertArray(const toml::array& array) {
  Node node;
  node.kind = Node::Kind::kArray;
  SetPosition(array, node);
  for (const toml::node& element : array) node.elements.push_back(Convert(element));
  return node;
}

Node Convert(const toml::node& from) {
  if (const auto* table = from.as_table()) return ConvertTable(*table);
  if (const auto* array = from.as_array()) return ConvertArray(*array);
  Node node;
  SetPosition(from, node);
  if (const auto* s = from.as_string()) {
    node.kind = Node::Kind::kString;
    node.text = s->get();
  } else if (const auto* i = from.as_integer()) {
    node.kind = Node::Kind::kInteger;
    node.integer = i->get();
  } else if (const auto* f = from.as_floating_point()) {
    node.kind = Node::Kind::kFloat;
    node.floating = f->get();
  } else if (const auto* b = from.as_boolean()) {
    node.kind = Node::Kind::kBoolean;
    node.boolean = b->get();
  } else {
    node.kind = Node::Kind::kDateTime;
  }
  return node;
}

}  // namespace

std::string_view KindName(Node::Kind kind) {
  switch (kind) {
    case Node::Kind::kString:
      return "a string";
    case Node::Kind::kInteger:
      return "an integer";
    case Node::Kind::kFloat:
      return "a floating-point number";
    case Node::Kind::kBoolean:
      return "a boolean";
    case Node::Kind::kDateTime:
      return "a date/time";
    case Node::Kind::kArray:
      return "an array";
    case Node::Kind::kTable:
      return "a table";
  }
  return "a value";
}

std::string Describe(const Node& node) {
  switch (node.kind) {
    case Node::Kind::kString:
      return fmt::format("string {}", Quote(node.text));
    case Node::Kind::kInteger:
      return fmt::format("integer {}", node.integer);
    case Node::Kind::kFloat:
      return fmt::format("floating-point {}", node.floating);
    case Node::Kind::kBoolean:
      return fmt::format("boolean {}", node.boolean);
    default:
      return std::string(KindName(node.kind));
  }
}

ParsedDocument ParseToml(std::string_view text, std::string_view source_name) {
  ParsedDocument result;
  // toml++ reports syntax errors by exception; they stop here, as config's API has none.
  try {
    const toml::table root = toml::parse(text, source_name);
    result.root = ConvertTable(root);
  } catch (const toml::parse_error& e) {
    result.error =
        SyntaxError{static_cast<int>(e.source().begin.line),
                    static_cast<int>(e.source().begin.column), std::string(e.description())};
  }
  return result;
}

}  // namespace safedesk::config
