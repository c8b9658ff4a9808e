#include "agent/visibility.h"

#include <algorithm>
#include <exception>

namespace safedesk::agent {
namespace {

struct Span {
  std::int64_t x0;
  std::int64_t x1;
};

bool CoversBand(const MaskRect& r, std::int64_t y0, std::int64_t y1) {
  return r.w > 0 && r.h > 0 && r.y <= y0 && std::int64_t{r.y} + r.h >= y1;
}

// `spans` minus [x0, x1).
std::vector<Span> Subtract(const std::vector<Span>& spans, std::int64_t x0, std::int64_t x1) {
  std::vector<Span> out;
  for (const Span& s : spans) {
    if (x1 <= s.x0 || x0 >= s.x1) {
      out.push_back(s);
      continue;
    }
    if (s.x0 < x0) out.push_back({s.x0, x0});
    if (x1 < s.x1) out.push_back({x1, s.x1});
  }
  return out;
}

// The visible parts of sensitive windows within one horizontal band [y0, y1).
void AddBand(const std::vector<TopLevel>& stack, std::int64_t y0, std::int64_t y1,
             std::vector<MaskRect>& out) {
  for (std::size_t i = 0; i < stack.size(); ++i) {
    const TopLevel& s = stack[i];
    if (!s.viewable || !s.sensitive || !CoversBand(s.client, y0, y1)) continue;
    std::vector<Span> spans{{s.client.x, std::int64_t{s.client.x} + s.client.w}};
    for (std::size_t j = i + 1; j < stack.size() && !spans.empty(); ++j) {
      const TopLevel& t = stack[j];
      if (!t.viewable || t.sensitive || !CoversBand(t.frame, y0, y1)) continue;
      spans = Subtract(spans, t.frame.x, std::int64_t{t.frame.x} + t.frame.w);
    }
    for (const Span& sp : spans) {
      out.push_back({static_cast<std::int32_t>(sp.x0), static_cast<std::int32_t>(y0),
                     static_cast<std::int32_t>(sp.x1 - sp.x0), static_cast<std::int32_t>(y1 - y0)});
    }
  }
}

}  // namespace

Result<MaskRuleSet> MaskRuleSet::Compile(const std::vector<config::MaskRule>& rules) {
  MaskRuleSet set;
  try {
    for (const config::MaskRule& rule : rules) {
      Compiled c;
      if (!rule.wm_class.empty()) c.wm_class.emplace(rule.wm_class, std::regex::ECMAScript);
      if (!rule.title.empty()) c.title.emplace(rule.title, std::regex::ECMAScript);
      set.rules_.push_back(std::move(c));
    }
  } catch (const std::exception&) {
    return MakeError(Errc::kInvalidArgument, "mask rule: bad regular expression");
  }
  return set;
}

bool MaskRuleSet::IsSensitive(const WindowProperties& w) const {
  if (w.marked_sensitive) return true;
  for (const Compiled& rule : rules_) {
    if (!rule.wm_class && !rule.title) continue;
    if (rule.wm_class && !std::regex_search(w.wm_instance, *rule.wm_class) &&
        !std::regex_search(w.wm_class, *rule.wm_class)) {
      continue;
    }
    if (rule.title && !std::regex_search(w.title, *rule.title)) continue;
    return true;
  }
  return false;
}

VisibleRegion ComputeVisibleRegion(const std::vector<TopLevel>& stack, std::int32_t screen_w,
                                   std::int32_t screen_h) {
  std::vector<std::int64_t> edges{0, screen_h};
  for (const TopLevel& t : stack) {
    if (!t.viewable) continue;
    for (const MaskRect& r : {t.frame, t.client}) {
      edges.push_back(std::clamp<std::int64_t>(r.y, 0, screen_h));
      edges.push_back(std::clamp<std::int64_t>(std::int64_t{r.y} + r.h, 0, screen_h));
    }
  }
  std::sort(edges.begin(), edges.end());
  edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
  std::vector<MaskRect> pieces;
  for (std::size_t i = 0; i + 1 < edges.size(); ++i) AddBand(stack, edges[i], edges[i + 1], pieces);
  VisibleRegion region;
  region.rects = NormalizeMaskRects(pieces, screen_w, screen_h);
  if (region.rects.size() > kMaxMaskRects) {
    region.rects.clear();
    region.overflow = true;
  }
  return region;
}

}  // namespace safedesk::agent
