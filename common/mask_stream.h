#pragma once
// The agent → gateway mask stream, version 1: one JSON object per line carrying the full
// current set of visible sensitive rectangles. Spec: common/MASK_STREAM_FORMAT.md.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace safedesk {

inline constexpr int kMaskStreamVersion = 1;
// A line (including its '\n') longer than this is refused before parsing: bounds the
// gateway's read buffer. 256 rects of four 5-digit numbers fit in well under 16 KiB.
inline constexpr std::size_t kMaxMaskLineSize = 64 * 1024;
// More visible rectangles than this are sent as overflow (the gateway masks everything):
// bounds the gateway's per-frame masking work.
inline constexpr std::size_t kMaxMaskRects = 256;
// X11 coordinates are 16-bit; a screen is at most 32767 pixels on a side.
inline constexpr std::int64_t kMaxMaskScreenSide = 32767;
// Desktop ids are short tokens ([A-Za-z0-9._-]); the cap keeps the CN check cheap.
inline constexpr std::size_t kMaxMaskDesktopIdSize = 128;
// Largest integer a JSON number carries exactly (2^53 - 1).
inline constexpr std::uint64_t kMaxMaskJsonInteger = (std::uint64_t{1} << 53) - 1;

struct MaskRect {
  std::int32_t x = 0;
  std::int32_t y = 0;
  std::int32_t w = 0;
  std::int32_t h = 0;
  friend bool operator==(const MaskRect&, const MaskRect&) = default;
};

struct MaskMessage {
  std::string desktop;
  std::uint64_t seq = 0;
  std::int64_t ts_ms = 0;
  std::int32_t screen_w = 0;
  std::int32_t screen_h = 0;
  bool focus_sensitive = false;
  bool overflow = false;
  std::vector<MaskRect> rects;  // canonical banded order; see the spec
  friend bool operator==(const MaskMessage&, const MaskMessage&) = default;
};

// True when `desktop` is a well-formed desktop id (1..128 of [A-Za-z0-9._-]).
bool IsValidMaskDesktopId(std::string_view desktop);

// Checks every rule of the spec that does not need the previous message: field ranges,
// caps, rectangles inside the screen, canonical order, overflow ⇒ no rects.
Result<void> ValidateMaskMessage(const MaskMessage& message);

// One line, '\n' included. The message must be valid (asserted in debug builds).
std::string EncodeMaskMessage(const MaskMessage& message);

// Strict: exactly the v1 fields, each of its type and range; an optional trailing '\n'.
// Anything else is kInvalidArgument (kLimitExceeded for the caps).
Result<MaskMessage> ParseMaskMessage(std::string_view line);

// The canonical (banded) form of the union of `rects`, each first clipped to the
// screen [0,screen_w)×[0,screen_h); empty rectangles vanish. See the spec, "Rectangles".
std::vector<MaskRect> NormalizeMaskRects(const std::vector<MaskRect>& rects, std::int32_t screen_w,
                                         std::int32_t screen_h);

}  // namespace safedesk
