#pragma once
// Encodes one rectangle of BGRX32 pixels for the browser, choosing the codec per
// rectangle: content with few colours (text, UI) goes lossless as an indexed PNG;
// content with more colours but mostly flat runs (anti-aliased text, gradients in UI)
// lossless as WebP; photographic content lossy as JPEG at the configured quality. Spec of what the browser
// receives: gateway/BROWSER_PROTOCOL.md.

#include <cstdint>
#include <span>
#include <vector>

#include "common/result.h"

namespace safedesk::gateway {

enum class ImageCodec : std::uint8_t { kPng = 1, kJpeg = 2, kWebp = 3 };

struct PixelRect {  // a tightly or loosely packed BGRX32 block
  const std::uint8_t* pixels = nullptr;
  int width = 0;
  int height = 0;
  int stride = 0;  // bytes per row
};

struct EncodedRect {
  ImageCodec codec = ImageCodec::kPng;
  std::vector<std::uint8_t> bytes;
};

struct EncoderOptions {
  int jpeg_quality = 75;
  // Up to this many distinct colours a rectangle is "text-like" and goes lossless.
  int max_palette = 256;
  // Beyond the palette: a rectangle where at least this share of pixels repeats its left
  // neighbour is drawn, not photographed, and goes lossless as WebP (0 turns WebP off).
  double min_flat_share = 0.6;
};

class FrameEncoder {
 public:
  explicit FrameEncoder(EncoderOptions options);
  ~FrameEncoder();
  FrameEncoder(const FrameEncoder&) = delete;
  FrameEncoder& operator=(const FrameEncoder&) = delete;

  Result<EncodedRect> Encode(const PixelRect& rect);

  // Exposed for tests: the palette of `rect` if it has at most `max` colours.
  static bool CollectPalette(const PixelRect& rect, int max, std::vector<std::uint32_t>& palette,
                             std::vector<std::uint8_t>& indices);
  // Exposed for tests: the share of pixels equal to their left neighbour (every other row).
  static double FlatShare(const PixelRect& rect);

 private:
  Result<EncodedRect> EncodePng(const PixelRect& rect, const std::vector<std::uint32_t>& palette,
                                const std::vector<std::uint8_t>& indices);
  Result<EncodedRect> EncodeJpeg(const PixelRect& rect);
  Result<EncodedRect> EncodeWebpLossless(const PixelRect& rect);

  EncoderOptions options_;
  void* turbojpeg_ = nullptr;
  std::vector<std::uint32_t> palette_;
  std::vector<std::uint8_t> indices_;
};

}  // namespace safedesk::gateway
