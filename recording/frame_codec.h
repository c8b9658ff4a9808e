#pragma once
// The chunk payload of a recording: frames (key frame, scrolls, changed rectangles, the
// mask rectangles), key and pointer events, zstd-compressed per chunk.
// Spec: common/RECORDING_FORMAT.md ("Payload"). Pixels given to the encoder are already
// masked; the encoder never sees the unmasked frame.

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "common/result.h"

namespace safedesk::recording {

struct PixelRect {
  int x = 0, y = 0, width = 0, height = 0;
};

// Cap on the decompressed size of one chunk payload (a forged chunk must not exhaust memory).
inline constexpr std::size_t kMaxPayloadBytes = 1u << 30;

class PaletteBuilder;

class FrameEncoder {
 public:
  FrameEncoder(int width, int height);
  ~FrameEncoder();
  // Starts a chunk: the next frame is a key frame.
  void BeginChunk();
  // `masked` is the full BGRX32 frame (stride width*4); only `regions` may differ from the
  // previous frame. Appends one frame item.
  void AddFrame(std::int64_t t_ms, std::span<const std::uint8_t> masked, const std::vector<PixelRect>& regions,
                bool full_mask, const std::vector<PixelRect>& masks);
  void AddKey(std::int64_t t_ms, std::uint16_t scancode, bool down, bool redacted);
  void AddPointer(std::int64_t t_ms, int x, int y, int buttons, int wheel);
  bool empty() const { return raw_.empty(); }
  // The compressed payload of the chunk so far; resets the buffer.
  Result<std::vector<std::uint8_t>> FinishChunk(int level = 3);

 private:
  void EncodeRegion(std::span<const std::uint8_t> cur, const PixelRect& r, int& ops);
  bool TryScroll(std::span<const std::uint8_t> cur, const PixelRect& r);
  // Pixels of r as an indexed rectangle when they have few colours, else raw (as the key
  // frame's K op when `key`; r is then the whole screen).
  void EmitRect(std::span<const std::uint8_t> cur, const PixelRect& r, bool key);
  int width_, height_;
  std::vector<std::uint8_t> prev_;
  std::vector<std::uint8_t> raw_;
  bool need_key_ = true;
  std::unique_ptr<PaletteBuilder> palette_;
};

struct DecodedKey {
  std::int64_t t_ms;
  std::uint16_t scancode;
  bool down;
  bool redacted;
};

struct DecodedPointer {
  std::int64_t t_ms;
  int x, y;
  int buttons;
  int wheel;
};

struct DecodedFrame {
  std::int64_t t_ms;
  bool key_frame;
  bool full_mask;
  std::vector<PixelRect> masks;
  std::span<const std::uint8_t> pixels;  // BGRX32, stride width*4; valid during the callback
};

class FrameDecoder {
 public:
  FrameDecoder(int width, int height);
  // Decodes one chunk payload, calling back per item in order.
  Result<void> DecodeChunk(std::span<const std::uint8_t> payload,
                           const std::function<void(const DecodedFrame&)>& on_frame,
                           const std::function<void(const DecodedKey&)>& on_key,
                           const std::function<void(const DecodedPointer&)>& on_pointer = nullptr);

 private:
  int width_, height_;
  std::vector<std::uint8_t> fb_;
};

}  // namespace safedesk::recording
