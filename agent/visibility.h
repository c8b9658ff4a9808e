#pragma once
// The pure half of the window watcher: which windows are sensitive and which parts of
// them are visible. No X types here; agent/x11_watcher.cc fills these structs.
// The rules are specified in common/MASK_STREAM_FORMAT.md, "Rectangles".

#include <cstdint>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "common/mask_stream.h"
#include "common/result.h"
#include "config/config.h"

namespace safedesk::agent {

struct WindowProperties {
  std::string wm_instance;  // first string of WM_CLASS
  std::string wm_class;     // second string of WM_CLASS
  std::string title;        // _NET_WM_NAME if set, else WM_NAME
  bool marked_sensitive = false;  // _SAFEDESK_SENSITIVE present
};

class MaskRuleSet {
 public:
  // Compiles the rules; a bad expression is an error (config validation catches it first).
  static Result<MaskRuleSet> Compile(const std::vector<config::MaskRule>& rules);
  bool IsSensitive(const WindowProperties& window) const;

 private:
  struct Compiled {
    std::optional<std::regex> wm_class;
    std::optional<std::regex> title;
  };
  std::vector<Compiled> rules_;
};

// One top-level window, as the stacking order lists it.
struct TopLevel {
  MaskRect frame;    // the top-level's area including its border, root coordinates
  MaskRect client;   // the client window's area without border, root coordinates
  bool viewable = false;
  bool sensitive = false;
};

struct VisibleRegion {
  std::vector<MaskRect> rects;  // canonical (NormalizeMaskRects); empty when overflow
  bool overflow = false;
};

// `stack` is bottom to top (XQueryTree order).
VisibleRegion ComputeVisibleRegion(const std::vector<TopLevel>& stack, std::int32_t screen_w,
                                   std::int32_t screen_h);

}  // namespace safedesk::agent
