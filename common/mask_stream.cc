#include "common/mask_stream.h"

#include <boost/json.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <exception>
#include <utility>

namespace safedesk {
namespace {

namespace json = boost::json;

struct Interval {
  std::int32_t x0;
  std::int32_t x1;
  friend bool operator==(const Interval&, const Interval&) = default;
};

struct Band {
  std::int32_t y0;
  std::int32_t y1;
  std::vector<Interval> spans;
};

constexpr auto kMaxJsonInt = static_cast<std::int64_t>(kMaxMaskJsonInteger);

Error Invalid(std::string message) { return MakeError(Errc::kInvalidArgument, std::move(message)); }

// Reads a JSON integer within [lo, hi]; doubles (1.0) and out-of-range values are refused.
Result<std::int64_t> IntField(const json::object& o, std::string_view key, std::int64_t lo,
                              std::int64_t hi) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return Invalid(fmt::format("mask message: missing \"{}\"", key));
  std::int64_t n = 0;
  if (v->is_int64()) {
    n = v->get_int64();
  } else if (v->is_uint64()) {
    if (v->get_uint64() > static_cast<std::uint64_t>(hi)) {
      return Invalid(fmt::format("mask message: \"{}\" out of range", key));
    }
    n = static_cast<std::int64_t>(v->get_uint64());
  } else {
    return Invalid(fmt::format("mask message: \"{}\" is not an integer", key));
  }
  if (n < lo || n > hi) return Invalid(fmt::format("mask message: \"{}\" out of range", key));
  return n;
}

Result<bool> BoolField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return Invalid(fmt::format("mask message: missing \"{}\"", key));
  if (!v->is_bool()) return Invalid(fmt::format("mask message: \"{}\" is not a boolean", key));
  return v->get_bool();
}

Result<void> ExactKeys(const json::object& o, std::initializer_list<std::string_view> keys,
                       std::string_view what) {
  for (const auto& kv : o) {
    if (std::find(keys.begin(), keys.end(), std::string_view(kv.key())) == keys.end()) {
      return Invalid(fmt::format("mask message: unknown field in {}", what));
    }
  }
  return Ok();
}

Result<MaskRect> ParseRect(const json::value& v) {
  if (!v.is_object()) return Invalid("mask message: a rect is not an object");
  const json::object& o = v.get_object();
  SAFEDESK_TRY(ExactKeys(o, {"x", "y", "w", "h"}, "rect"));
  MaskRect r;
  auto x = IntField(o, "x", 0, kMaxMaskScreenSide);
  if (!x) return x.error();
  auto y = IntField(o, "y", 0, kMaxMaskScreenSide);
  if (!y) return y.error();
  auto w = IntField(o, "w", 1, kMaxMaskScreenSide);
  if (!w) return w.error();
  auto h = IntField(o, "h", 1, kMaxMaskScreenSide);
  if (!h) return h.error();
  r.x = static_cast<std::int32_t>(*x);
  r.y = static_cast<std::int32_t>(*y);
  r.w = static_cast<std::int32_t>(*w);
  r.h = static_cast<std::int32_t>(*h);
  return r;
}

Result<json::value> ParseJson(std::string_view text) {
  try {
    json::parse_options options;
    options.max_depth = 8;
    std::error_code ec;
    json::value v = json::parse(text, ec, {}, options);
    if (ec) return Invalid("mask message: not JSON");
    return v;
  } catch (const std::exception&) {
    return Invalid("mask message: not JSON");
  }
}

// Merges sorted spans that overlap or touch.
std::vector<Interval> MergeSpans(std::vector<Interval> spans) {
  std::sort(spans.begin(), spans.end(),
            [](const Interval& a, const Interval& b) { return a.x0 < b.x0; });
  std::vector<Interval> out;
  for (const Interval& s : spans) {
    if (!out.empty() && s.x0 <= out.back().x1) {
      out.back().x1 = std::max(out.back().x1, s.x1);
    } else {
      out.push_back(s);
    }
  }
  return out;
}

}  // namespace

bool IsValidMaskDesktopId(std::string_view desktop) {
  if (desktop.empty() || desktop.size() > kMaxMaskDesktopIdSize) return false;
  return std::all_of(desktop.begin(), desktop.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
  });
}

Result<void> ValidateMaskMessage(const MaskMessage& m) {
  if (!IsValidMaskDesktopId(m.desktop)) return Invalid("mask message: bad desktop id");
  if (m.seq < 1 || m.seq > kMaxMaskJsonInteger) return Invalid("mask message: seq out of range");
  if (m.ts_ms < 0 || static_cast<std::uint64_t>(m.ts_ms) > kMaxMaskJsonInteger) {
    return Invalid("mask message: ts_ms out of range");
  }
  if (m.screen_w < 1 || m.screen_w > kMaxMaskScreenSide || m.screen_h < 1 ||
      m.screen_h > kMaxMaskScreenSide) {
    return Invalid("mask message: screen size out of range");
  }
  if (m.rects.size() > kMaxMaskRects) {
    return MakeError(Errc::kLimitExceeded, "mask message: too many rects");
  }
  if (m.overflow && !m.rects.empty()) return Invalid("mask message: overflow with rects");
  for (const MaskRect& r : m.rects) {
    if (r.x < 0 || r.y < 0 || r.w < 1 || r.h < 1 || r.x + r.w > m.screen_w ||
        r.y + r.h > m.screen_h) {
      return Invalid("mask message: rect outside the screen");
    }
  }
  if (NormalizeMaskRects(m.rects, m.screen_w, m.screen_h) != m.rects) {
    return Invalid("mask message: rects not in canonical form");
  }
  return Ok();
}

std::string EncodeMaskMessage(const MaskMessage& m) {
  assert(ValidateMaskMessage(m).ok());
  json::object o;
  o["v"] = kMaskStreamVersion;
  o["type"] = "masks";
  o["desktop"] = m.desktop;
  o["seq"] = m.seq;
  o["ts_ms"] = m.ts_ms;
  o["screen"] = json::object{{"w", m.screen_w}, {"h", m.screen_h}};
  o["focus_sensitive"] = m.focus_sensitive;
  o["overflow"] = m.overflow;
  json::array rects;
  rects.reserve(m.rects.size());
  for (const MaskRect& r : m.rects) {
    rects.push_back(json::object{{"x", r.x}, {"y", r.y}, {"w", r.w}, {"h", r.h}});
  }
  o["rects"] = std::move(rects);
  std::string line = json::serialize(o);
  line += '\n';
  return line;
}

Result<MaskMessage> ParseMaskMessage(std::string_view line) {
  if (line.size() > kMaxMaskLineSize) {
    return MakeError(Errc::kLimitExceeded, "mask message: line too long");
  }
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (line.find('\n') != std::string_view::npos) return Invalid("mask message: embedded newline");
  auto parsed = ParseJson(line);
  if (!parsed) return parsed.error();
  if (!parsed->is_object()) return Invalid("mask message: not an object");
  const json::object& o = parsed->get_object();
  SAFEDESK_TRY(ExactKeys(o, {"v", "type", "desktop", "seq", "ts_ms", "screen", "focus_sensitive",
                             "overflow", "rects"},
                         "message"));
  auto version = IntField(o, "v", 0, kMaxJsonInt);
  if (!version) return version.error();
  if (*version != kMaskStreamVersion) return Invalid("mask message: unsupported version");
  const json::value* type = o.if_contains("type");
  if (type == nullptr || !type->is_string() || type->get_string() != "masks") {
    return Invalid("mask message: type is not \"masks\"");
  }
  const json::value* desktop = o.if_contains("desktop");
  if (desktop == nullptr || !desktop->is_string()) return Invalid("mask message: bad desktop");
  MaskMessage m;
  m.desktop = std::string(desktop->get_string());
  auto seq = IntField(o, "seq", 1, kMaxJsonInt);
  if (!seq) return seq.error();
  m.seq = static_cast<std::uint64_t>(*seq);
  auto ts = IntField(o, "ts_ms", 0, kMaxJsonInt);
  if (!ts) return ts.error();
  m.ts_ms = *ts;
  const json::value* screen = o.if_contains("screen");
  if (screen == nullptr || !screen->is_object()) return Invalid("mask message: bad screen");
  SAFEDESK_TRY(ExactKeys(screen->get_object(), {"w", "h"}, "screen"));
  auto sw = IntField(screen->get_object(), "w", 1, kMaxMaskScreenSide);
  if (!sw) return sw.error();
  auto sh = IntField(screen->get_object(), "h", 1, kMaxMaskScreenSide);
  if (!sh) return sh.error();
  m.screen_w = static_cast<std::int32_t>(*sw);
  m.screen_h = static_cast<std::int32_t>(*sh);
  auto focus = BoolField(o, "focus_sensitive");
  if (!focus) return focus.error();
  m.focus_sensitive = *focus;
  auto overflow = BoolField(o, "overflow");
  if (!overflow) return overflow.error();
  m.overflow = *overflow;
  const json::value* rects = o.if_contains("rects");
  if (rects == nullptr || !rects->is_array()) return Invalid("mask message: bad rects");
  if (rects->get_array().size() > kMaxMaskRects) {
    return MakeError(Errc::kLimitExceeded, "mask message: too many rects");
  }
  for (const json::value& v : rects->get_array()) {
    auto r = ParseRect(v);
    if (!r) return r.error();
    m.rects.push_back(*r);
  }
  SAFEDESK_TRY(ValidateMaskMessage(m));
  return m;
}

std::vector<MaskRect> NormalizeMaskRects(const std::vector<MaskRect>& rects, std::int32_t screen_w,
                                         std::int32_t screen_h) {
  std::vector<MaskRect> clipped;
  std::vector<std::int32_t> edges;
  for (const MaskRect& r : rects) {
    const std::int64_t x0 = std::max<std::int64_t>(r.x, 0);
    const std::int64_t y0 = std::max<std::int64_t>(r.y, 0);
    const std::int64_t x1 = std::min<std::int64_t>(std::int64_t{r.x} + r.w, screen_w);
    const std::int64_t y1 = std::min<std::int64_t>(std::int64_t{r.y} + r.h, screen_h);
    if (x1 <= x0 || y1 <= y0) continue;
    clipped.push_back({static_cast<std::int32_t>(x0), static_cast<std::int32_t>(y0),
                       static_cast<std::int32_t>(x1 - x0), static_cast<std::int32_t>(y1 - y0)});
    edges.push_back(static_cast<std::int32_t>(y0));
    edges.push_back(static_cast<std::int32_t>(y1));
  }
  std::sort(edges.begin(), edges.end());
  edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
  std::vector<Band> bands;
  for (std::size_t i = 0; i + 1 < edges.size(); ++i) {
    const std::int32_t y0 = edges[i];
    const std::int32_t y1 = edges[i + 1];
    std::vector<Interval> spans;
    for (const MaskRect& r : clipped) {
      if (r.y <= y0 && r.y + r.h >= y1) spans.push_back({r.x, r.x + r.w});
    }
    spans = MergeSpans(std::move(spans));
    if (spans.empty()) continue;
    if (!bands.empty() && bands.back().y1 == y0 && bands.back().spans == spans) {
      bands.back().y1 = y1;
    } else {
      bands.push_back({y0, y1, std::move(spans)});
    }
  }
  std::vector<MaskRect> out;
  for (const Band& b : bands) {
    for (const Interval& s : b.spans) out.push_back({s.x0, b.y0, s.x1 - s.x0, b.y1 - b.y0});
  }
  return out;
}

}  // namespace safedesk
