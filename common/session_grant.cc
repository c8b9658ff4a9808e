#include "common/session_grant.h"

#include <fmt/format.h>

#include <cstdint>
#include <optional>

#include "common/encoding.h"

namespace safedesk {
namespace {

constexpr int kGrantVersion = 1;

Result<void> ValidatePattern(std::string_view pattern) {
  if (pattern.size() > kMaxMaskPatternSize) {
    return MakeError(Errc::kLimitExceeded, fmt::format("mask pattern longer than {} bytes", kMaxMaskPatternSize));
  }
  return Ok();
}

void AppendJsonString(std::string& out, std::string_view text) {
  out.push_back('"');
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (byte < 0x20) {
      out += fmt::format("\\u{:04x}", byte);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

const char* JsonBool(bool b) { return b ? "true" : "false"; }

// Reads exactly the canonical form, token by token; there is no whitespace to skip.
class CanonicalReader {
 public:
  explicit CanonicalReader(std::string_view text) : text_(text) {}

  bool Expect(std::string_view literal) {
    if (text_.substr(pos_, literal.size()) != literal) return false;
    pos_ += literal.size();
    return true;
  }
  bool Peek(char c) const { return pos_ < text_.size() && text_[pos_] == c; }
  bool AtEnd() const { return pos_ == text_.size(); }

  std::optional<bool> Bool() {
    if (Expect("true")) return true;
    if (Expect("false")) return false;
    return std::nullopt;
  }

  // A non-negative decimal integer without leading zeros, at most 12 digits.
  std::optional<std::int64_t> Integer() {
    std::size_t start = pos_;
    std::int64_t value = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      if (pos_ - start >= 12) return std::nullopt;
      value = value * 10 + (text_[pos_] - '0');
      ++pos_;
    }
    std::size_t digits = pos_ - start;
    if (digits == 0 || (digits > 1 && text_[start] == '0')) return std::nullopt;
    return value;
  }

  std::optional<std::string> String(std::size_t max_size) {
    if (!Expect("\"")) return std::nullopt;
    std::string out;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      if (out.size() >= max_size) return std::nullopt;
      char c = text_[pos_++];
      if (static_cast<unsigned char>(c) < 0x20) return std::nullopt;
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      auto escaped = Escape();
      if (!escaped) return std::nullopt;
      out.push_back(*escaped);
    }
    if (!Expect("\"")) return std::nullopt;
    return out;
  }

 private:
  // Only the escapes the writer produces: \" \\ and \u00xx for control bytes.
  std::optional<char> Escape() {
    if (Expect("\"")) return '"';
    if (Expect("\\")) return '\\';
    if (!Expect("u00") || pos_ + 2 > text_.size()) return std::nullopt;
    std::string hex(text_.substr(pos_, 2));
    pos_ += 2;
    auto bytes = HexDecode(hex);
    if (!bytes || bytes->size() != 1 || (*bytes)[0] >= 0x20 || HexEncode(*bytes) != hex) return std::nullopt;
    return static_cast<char>((*bytes)[0]);
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

std::optional<std::vector<MaskRule>> ReadMaskRules(CanonicalReader& in) {
  std::vector<MaskRule> rules;
  if (!in.Expect("[")) return std::nullopt;
  while (!in.Peek(']')) {
    if (rules.size() >= kMaxMaskRules) return std::nullopt;
    if (!rules.empty() && !in.Expect(",")) return std::nullopt;
    MaskRule rule;
    if (!in.Expect("{\"title\":")) return std::nullopt;
    auto title = in.String(kMaxMaskPatternSize);
    if (!title || !in.Expect(",\"wm_class\":")) return std::nullopt;
    auto wm_class = in.String(kMaxMaskPatternSize);
    if (!wm_class || !in.Expect("}")) return std::nullopt;
    rule.title_regex = std::move(*title);
    rule.wm_class_regex = std::move(*wm_class);
    rules.push_back(std::move(rule));
  }
  if (!in.Expect("]")) return std::nullopt;
  return rules;
}

std::optional<SessionGrant> ReadGrant(CanonicalReader& in) {
  SessionGrant g;
  std::optional<bool> paste, files, record, uv, watermark;
  std::optional<std::int64_t> idle, max, version;
  std::optional<std::vector<MaskRule>> rules;
  if (!in.Expect("{\"allow_clipboard_paste_in\":") || !(paste = in.Bool())) return std::nullopt;
  if (!in.Expect(",\"allow_file_transfer\":") || !(files = in.Bool())) return std::nullopt;
  if (!in.Expect(",\"idle_timeout_s\":") || !(idle = in.Integer())) return std::nullopt;
  if (!in.Expect(",\"mask_rules\":") || !(rules = ReadMaskRules(in))) return std::nullopt;
  if (!in.Expect(",\"max_duration_s\":") || !(max = in.Integer())) return std::nullopt;
  if (!in.Expect(",\"record_required\":") || !(record = in.Bool())) return std::nullopt;
  if (!in.Expect(",\"require_user_verification\":") || !(uv = in.Bool())) return std::nullopt;
  if (!in.Expect(",\"v\":") || !(version = in.Integer()) || *version != kGrantVersion) return std::nullopt;
  if (!in.Expect(",\"watermark\":") || !(watermark = in.Bool())) return std::nullopt;
  if (!in.Expect("}") || !in.AtEnd()) return std::nullopt;
  g.allow_clipboard_paste_in = *paste;
  g.allow_file_transfer = *files;
  g.idle_timeout = std::chrono::seconds(*idle);
  g.mask_rules = std::move(*rules);
  g.max_duration = std::chrono::seconds(*max);
  g.record_required = *record;
  g.require_user_verification = *uv;
  g.watermark = *watermark;
  return g;
}

}  // namespace

Result<void> ValidateGrant(const SessionGrant& grant) {
  // These two are product invariants, not policy: a grant that says otherwise is forged
  // or built by a bug, and the gateway must not run it.
  if (grant.allow_file_transfer) return MakeError(Errc::kInvalidArgument, "grant allows file transfer");
  if (!grant.record_required) return MakeError(Errc::kInvalidArgument, "grant does not require recording");
  if (grant.max_duration <= std::chrono::seconds(0) || grant.max_duration > kMaxGrantDuration) {
    return MakeError(Errc::kInvalidArgument, "grant max_duration out of range");
  }
  if (grant.idle_timeout <= std::chrono::seconds(0) || grant.idle_timeout > grant.max_duration) {
    return MakeError(Errc::kInvalidArgument, "grant idle_timeout out of range");
  }
  if (grant.mask_rules.size() > kMaxMaskRules) {
    return MakeError(Errc::kLimitExceeded, fmt::format("grant has more than {} mask rules", kMaxMaskRules));
  }
  for (const MaskRule& rule : grant.mask_rules) {
    if (rule.wm_class_regex.empty() && rule.title_regex.empty()) {
      return MakeError(Errc::kInvalidArgument, "mask rule has no pattern");
    }
    SAFEDESK_TRY(ValidatePattern(rule.wm_class_regex));
    SAFEDESK_TRY(ValidatePattern(rule.title_regex));
  }
  return Ok();
}

Result<std::string> CanonicalGrantJson(const SessionGrant& grant) {
  SAFEDESK_TRY(ValidateGrant(grant));
  std::string out = fmt::format(R"({{"allow_clipboard_paste_in":{},"allow_file_transfer":{},)"
                                R"("idle_timeout_s":{},"mask_rules":[)",
                                JsonBool(grant.allow_clipboard_paste_in), JsonBool(grant.allow_file_transfer),
                                grant.idle_timeout.count());
  for (std::size_t i = 0; i < grant.mask_rules.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += R"({"title":)";
    AppendJsonString(out, grant.mask_rules[i].title_regex);
    out += R"(,"wm_class":)";
    AppendJsonString(out, grant.mask_rules[i].wm_class_regex);
    out.push_back('}');
  }
  out += fmt::format(R"(],"max_duration_s":{},"record_required":{},"require_user_verification":{},)"
                     R"("v":{},"watermark":{}}})",
                     grant.max_duration.count(), JsonBool(grant.record_required),
                     JsonBool(grant.require_user_verification), kGrantVersion, JsonBool(grant.watermark));
  return out;
}

Result<SessionGrant> ParseGrantJson(std::string_view json) {
  if (json.size() > kMaxGrantJsonSize) {
    return MakeError(Errc::kLimitExceeded, fmt::format("grant larger than {} bytes", kMaxGrantJsonSize));
  }
  CanonicalReader reader(json);
  auto grant = ReadGrant(reader);
  if (!grant) return MakeError(Errc::kInvalidArgument, "grant is not in canonical form");
  SAFEDESK_TRY(ValidateGrant(*grant));
  return std::move(*grant);
}

Result<Sha256Digest> GrantDigest(const SessionGrant& grant) {
  auto json = CanonicalGrantJson(grant);
  if (!json.ok()) return json.error();
  return Sha256(AsBytes(*json));
}

}  // namespace safedesk
