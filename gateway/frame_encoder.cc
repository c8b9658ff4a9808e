#include "gateway/frame_encoder.h"

#include <png.h>
#include <turbojpeg.h>
#include <webp/encode.h>

#include <array>
#include <cstring>

namespace safedesk::gateway {
namespace {

std::uint32_t PixelAt(const PixelRect& rect, int x, int y) {
  std::uint32_t value;
  std::memcpy(&value, rect.pixels + static_cast<std::size_t>(y) * rect.stride + static_cast<std::size_t>(x) * 4, 4);
  return value & 0x00FFFFFFu;  // BGRX: the X byte is padding
}

void AppendToVector(png_structp png, png_bytep data, png_size_t length) {
  auto* out = static_cast<std::vector<std::uint8_t>*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + length);
}

void NoFlush(png_structp) {}

}  // namespace

FrameEncoder::FrameEncoder(EncoderOptions options) : options_(options), turbojpeg_(tjInitCompress()) {}

FrameEncoder::~FrameEncoder() {
  if (turbojpeg_ != nullptr) tjDestroy(static_cast<tjhandle>(turbojpeg_));
}

bool FrameEncoder::CollectPalette(const PixelRect& rect, int max, std::vector<std::uint32_t>& palette,
                                  std::vector<std::uint8_t>& indices) {
  // Open addressing over 1024 slots keeps the scan allocation-free; a run cache makes
  // flat areas cost one compare per pixel.
  constexpr std::size_t kSlots = 1024;
  std::array<std::uint32_t, kSlots> keys;
  std::array<std::int16_t, kSlots> slot_index;
  slot_index.fill(-1);
  palette.clear();
  indices.resize(static_cast<std::size_t>(rect.width) * rect.height);
  std::uint32_t last = 0xFFFFFFFFu;
  std::uint8_t last_index = 0;
  std::size_t out = 0;
  for (int y = 0; y < rect.height; ++y) {
    for (int x = 0; x < rect.width; ++x) {
      const std::uint32_t value = PixelAt(rect, x, y);
      if (value != last) {
        std::size_t slot = (value * 2654435761u) >> 22;  // top 10 bits
        while (true) {
          if (slot_index[slot] < 0) {
            if (static_cast<int>(palette.size()) >= max) return false;
            keys[slot] = value;
            slot_index[slot] = static_cast<std::int16_t>(palette.size());
            palette.push_back(value);
            break;
          }
          if (keys[slot] == value) break;
          slot = (slot + 1) & (kSlots - 1);
        }
        last = value;
        last_index = static_cast<std::uint8_t>(slot_index[slot]);
      }
      indices[out++] = last_index;
    }
  }
  return true;
}

Result<EncodedRect> FrameEncoder::Encode(const PixelRect& rect) {
  if (rect.pixels == nullptr || rect.width <= 0 || rect.height <= 0 || rect.stride < rect.width * 4) {
    return MakeError(Errc::kInvalidArgument, "empty or malformed rectangle");
  }
  if (CollectPalette(rect, std::min(options_.max_palette, 256), palette_, indices_)) {
    return EncodePng(rect, palette_, indices_);
  }
  if (options_.min_flat_share > 0 && FlatShare(rect) >= options_.min_flat_share) return EncodeWebpLossless(rect);
  return EncodeJpeg(rect);
}

double FrameEncoder::FlatShare(const PixelRect& rect) {
  if (rect.width < 2) return 0;
  std::size_t same = 0;
  std::size_t total = 0;
  for (int y = 0; y < rect.height; y += 2) {
    std::uint32_t left = PixelAt(rect, 0, y);
    for (int x = 1; x < rect.width; ++x) {
      const std::uint32_t value = PixelAt(rect, x, y);
      same += value == left;
      left = value;
    }
    total += static_cast<std::size_t>(rect.width - 1);
  }
  return total == 0 ? 0 : static_cast<double>(same) / static_cast<double>(total);
}

Result<EncodedRect> FrameEncoder::EncodeWebpLossless(const PixelRect& rect) {
  WebPConfig config;
  // Level 0: libwebp's fastest lossless effort; flat content compresses well even so.
  if (WebPConfigInit(&config) == 0 || WebPConfigLosslessPreset(&config, 0) == 0) {
    return MakeError(Errc::kInternal, "webp: bad configuration");
  }
  WebPPicture picture;
  if (WebPPictureInit(&picture) == 0) return MakeError(Errc::kInternal, "webp: version mismatch");
  picture.use_argb = 1;
  picture.width = rect.width;
  picture.height = rect.height;
  WebPMemoryWriter writer;
  WebPMemoryWriterInit(&writer);
  picture.writer = WebPMemoryWrite;
  picture.custom_ptr = &writer;
  const bool ok = WebPPictureImportBGRX(&picture, rect.pixels, rect.stride) != 0 && WebPEncode(&config, &picture) != 0;
  WebPPictureFree(&picture);
  if (!ok) {
    WebPMemoryWriterClear(&writer);
    return MakeError(Errc::kInternal, "webp: encode failed");
  }
  EncodedRect encoded;
  encoded.codec = ImageCodec::kWebp;
  encoded.bytes.assign(writer.mem, writer.mem + writer.size);
  WebPMemoryWriterClear(&writer);
  return encoded;
}

Result<EncodedRect> FrameEncoder::EncodePng(const PixelRect& rect, const std::vector<std::uint32_t>& palette,
                                            const std::vector<std::uint8_t>& indices) {
  EncodedRect encoded;
  encoded.codec = ImageCodec::kPng;
  encoded.bytes.reserve(4096);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  if (png == nullptr) return MakeError(Errc::kInternal, "png: out of memory");
  png_infop info = png_create_info_struct(png);
  if (info == nullptr || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return MakeError(Errc::kInternal, "png: encode failed");
  }
  png_set_write_fn(png, &encoded.bytes, AppendToVector, NoFlush);
  // Indexed colour: 1, 2, 4 or 8 bits per pixel as the palette needs.
  int depth = 8;
  if (palette.size() <= 2) depth = 1;
  else if (palette.size() <= 4) depth = 2;
  else if (palette.size() <= 16) depth = 4;
  png_set_IHDR(png, info, static_cast<png_uint_32>(rect.width), static_cast<png_uint_32>(rect.height), depth,
               PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  std::array<png_color, 256> colours{};
  for (std::size_t i = 0; i < palette.size(); ++i) {
    colours[i].blue = static_cast<png_byte>(palette[i] & 0xFF);
    colours[i].green = static_cast<png_byte>((palette[i] >> 8) & 0xFF);
    colours[i].red = static_cast<png_byte>((palette[i] >> 16) & 0xFF);
  }
  png_set_PLTE(png, info, colours.data(), static_cast<int>(palette.size()));
  png_set_compression_level(png, 1);
  png_set_filter(png, 0, PNG_FILTER_NONE);
  png_write_info(png, info);
  if (depth < 8) png_set_packing(png);
  for (int y = 0; y < rect.height; ++y) {
    png_write_row(png, const_cast<png_bytep>(indices.data() + static_cast<std::size_t>(y) * rect.width));
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return encoded;
}

Result<EncodedRect> FrameEncoder::EncodeJpeg(const PixelRect& rect) {
  if (turbojpeg_ == nullptr) return MakeError(Errc::kInternal, "jpeg: no encoder");
  unsigned char* out = nullptr;
  unsigned long size = 0;
  const int rc = tjCompress2(static_cast<tjhandle>(turbojpeg_), rect.pixels, rect.width, rect.stride, rect.height,
                             TJPF_BGRX, &out, &size, TJSAMP_420, options_.jpeg_quality, TJFLAG_FASTDCT);
  if (rc != 0) {
    if (out != nullptr) tjFree(out);
    return MakeError(Errc::kInternal, "jpeg: encode failed");
  }
  EncodedRect encoded;
  encoded.codec = ImageCodec::kJpeg;
  encoded.bytes.assign(out, out + size);
  tjFree(out);
  return encoded;
}

}  // namespace safedesk::gateway
