#include "common/audit_record.h"

#include <boost/json.hpp>

#include <fmt/format.h>

#include <charconv>
#include <exception>

#include "common/encoding.h"

namespace safedesk {
namespace {

namespace json = boost::json;

constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";  // U+FFFD

// Length of the well-formed UTF-8 sequence starting at s[i] (Unicode 15, table 3-7), or 0.
// It must reject exactly what Boost.JSON's parser rejects: overlongs, surrogates and
// code points above U+10FFFF.
std::size_t Utf8SequenceLength(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) return 1;
  std::size_t len = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < len; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return len;
}

void AppendEscapedByte(std::string& out, unsigned char c) {
  switch (c) {
    case '"': out += "\\\""; return;
    case '\\': out += "\\\\"; return;
    case '\b': out += "\\b"; return;
    case '\f': out += "\\f"; return;
    case '\n': out += "\\n"; return;
    case '\r': out += "\\r"; return;
    case '\t': out += "\\t"; return;
    default: break;
  }
  if (c < 0x20) {
    constexpr char kHex[] = "0123456789abcdef";
    out += "\\u00";
    out += kHex[c >> 4];
    out += kHex[c & 0xF];
    return;
  }
  out += static_cast<char>(c);
}

// The one way a string is written: see AUDIT_FORMAT.md, "Canonical form".
void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t len = Utf8SequenceLength(s, i);
    if (len == 0) {
      out += kReplacementChar;
      ++i;
    } else if (len == 1) {
      AppendEscapedByte(out, static_cast<unsigned char>(s[i]));
      ++i;
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
  out += '"';
}

void AppendInt(std::string& out, std::int64_t v) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void AppendValue(std::string& out, const AuditValue& value) {
  if (const auto* s = std::get_if<std::string>(&value)) {
    AppendJsonString(out, *s);
  } else if (const auto* i = std::get_if<std::int64_t>(&value)) {
    AppendInt(out, *i);
  } else {
    out += std::get<bool>(value) ? "true" : "false";
  }
}

Error Malformed(std::string detail) { return MakeError(Errc::kInvalidArgument, std::move(detail)); }

Result<std::string> StringMember(const json::object& object, std::string_view key) {
  const json::value* v = object.if_contains(key);
  if (v == nullptr || !v->is_string()) {
    return Malformed(fmt::format("\"{}\" is missing or not a string", key));
  }
  return std::string(v->get_string());
}

Result<std::uint64_t> SeqMember(const json::object& object) {
  const json::value* v = object.if_contains("seq");
  if (v != nullptr && v->is_int64() && v->get_int64() > 0) {
    return static_cast<std::uint64_t>(v->get_int64());
  }
  if (v != nullptr && v->is_uint64() && v->get_uint64() > 0) return v->get_uint64();
  return Malformed("\"seq\" is missing or not a positive integer");
}

bool IsLowerHex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Result<std::vector<AuditField>> DataMember(const json::object& object) {
  const json::value* v = object.if_contains("data");
  if (v == nullptr || !v->is_object()) return Malformed("\"data\" is missing or not an object");
  std::vector<AuditField> fields;
  for (const auto& member : v->get_object()) {
    const json::value& value = member.value();
    AuditField field{std::string(member.key()), std::string()};
    if (value.is_string()) {
      field.value = std::string(value.get_string());
    } else if (value.is_int64()) {
      field.value = value.get_int64();
    } else if (value.is_bool()) {
      field.value = value.get_bool();
    } else {
      return Malformed(fmt::format("data field \"{}\" is not a string, 64-bit integer or bool",
                                   member.key()));
    }
    fields.push_back(std::move(field));
  }
  return fields;
}

Result<AuditRecord> RecordFromObject(const json::object& object) {
  AuditRecord record;
  auto seq = SeqMember(object);
  if (!seq) return seq.error();
  record.seq = *seq;
  for (auto [key, member] : {std::pair{"ts", &record.ts}, std::pair{"type", &record.type},
                             std::pair{"session", &record.session}, std::pair{"prev", &record.prev}}) {
    auto text = StringMember(object, key);
    if (!text) return text.error();
    *member = std::move(*text);
  }
  if (!IsLowerHex64(record.prev)) return Malformed("\"prev\" is not 64 lower-case hex digits");
  auto data = DataMember(object);
  if (!data) return data.error();
  record.data = std::move(*data);
  return record;
}

Result<json::value> ParseJson(std::string_view line) {
  try {
    boost::system::error_code ec;
    json::value value = json::parse(line, ec);
    if (ec) return Malformed("not JSON: " + ec.message());
    return value;
  } catch (const std::exception& e) {  // allocation failure; never let it cross the boundary
    return MakeError(Errc::kInternal, std::string("JSON parser failed: ") + e.what());
  }
}

}  // namespace

const AuditValue* AuditRecord::Find(std::string_view key) const {
  for (const auto& field : data) {
    if (field.key == key) return &field.value;
  }
  return nullptr;
}

std::string SerializeAuditRecord(const AuditRecord& record) {
  std::string out;
  out.reserve(160 + record.ts.size() + record.type.size() + record.session.size());
  out += "{\"seq\":";
  out += std::to_string(record.seq);
  out += ",\"ts\":";
  AppendJsonString(out, record.ts);
  out += ",\"type\":";
  AppendJsonString(out, record.type);
  out += ",\"session\":";
  AppendJsonString(out, record.session);
  out += ",\"prev\":";
  AppendJsonString(out, record.prev);
  out += ",\"data\":{";
  for (std::size_t i = 0; i < record.data.size(); ++i) {
    if (i > 0) out += ',';
    AppendJsonString(out, record.data[i].key);
    out += ':';
    AppendValue(out, record.data[i].value);
  }
  out += "}}";
  return out;
}

Result<AuditRecord> ParseAuditRecord(std::string_view line) {
  if (line.size() > kMaxAuditLineBytes) {
    return MakeError(Errc::kLimitExceeded,
                     fmt::format("line of {} bytes exceeds the {}-byte cap", line.size(),
                                 kMaxAuditLineBytes));
  }
  auto value = ParseJson(line);
  if (!value) return value.error();
  if (!value->is_object()) return Malformed("not a JSON object");
  auto record = RecordFromObject(value->get_object());
  if (!record) return record.error();
  // Parsing forgives whitespace, escapes, key order and duplicate keys; the hash chain
  // is over bytes, so any of those is an edit even when the values look unchanged.
  if (SerializeAuditRecord(*record) != line) {
    return MakeError(Errc::kCorrupt, "bytes are not the canonical serialisation of the record");
  }
  return record;
}

std::string HashAuditLine(std::string_view line) {
  const Sha256Digest digest = Sha256(AsBytes(line));
  return HexEncode(digest);
}

std::string AuditSignedMessage(const AuditRecord& record) {
  AuditRecord unsigned_copy = record;
  if (!unsigned_copy.data.empty() && unsigned_copy.data.back().key == "sig") {
    unsigned_copy.data.back().value = std::string();
  }
  return std::string(kAuditSignatureDomain) + SerializeAuditRecord(unsigned_copy);
}

std::string AuditKeyFingerprint(const Ed25519PublicKey& key) {
  return HexEncode(Sha256(key.raw()));
}

bool IsSignedAuditType(std::string_view type) {
  return type == kAuditTypeOpened || type == kAuditTypeRecovered || type == kAuditTypeCheckpoint;
}

}  // namespace safedesk
