// Spec: common/RECORDING_FORMAT.md ("Payload").
#include "recording/frame_codec.h"

#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <unordered_map>
#include <cstdio>
#include <cstdlib>

namespace safedesk::recording {
namespace {

constexpr std::uint8_t kItemFrame = 'F', kItemKey = 'E', kItemPointer = 'P';
constexpr std::uint8_t kOpKey = 'K', kOpScroll = 'S', kOpRect = 'R', kOpIndexed = 'I', kOpIndexedKey = 'J';
constexpr int kMaxPalette = 256;  // an indexed rectangle's palette: indices are at most 8 bits

// Bits per index for a palette of n colours: 1, 2, 4 or 8.
int IndexBits(int n) { return n <= 2 ? 1 : n <= 4 ? 2 : n <= 16 ? 4 : 8; }
std::size_t PackedRowBytes(int width, int bits) { return (std::size_t(width) * std::size_t(bits) + 7) / 8; }

}  // namespace

// The distinct colours (B | G << 8 | R << 16) of rectangle r of a BGRX frame and each
// pixel's palette index, or false when there are more than kMaxPalette colours.
class PaletteBuilder {
 public:
  bool Build(std::span<const std::uint8_t> frame, int width, const PixelRect& r) {
    colours.clear();
    indices.resize(std::size_t(r.width) * r.height);
    std::fill(std::begin(slots_), std::end(slots_), 0);
    const std::size_t stride = std::size_t(width) * 4;
    std::uint32_t last = 0xffffffffu;
    std::uint8_t last_index = 0;
    std::uint8_t* out = indices.data();
    for (int y = r.y; y < r.y + r.height; ++y) {
      const std::uint8_t* p = frame.data() + std::size_t(y) * stride + std::size_t(r.x) * 4;
      for (int x = 0; x < r.width; ++x, p += 4) {
        const std::uint32_t c = std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16;
        if (c != last) {
          auto index = Find(c);
          if (!index) return false;
          last = c;
          last_index = *index;
        }
        *out++ = last_index;
      }
    }
    return true;
  }
  std::vector<std::uint32_t> colours;
  std::vector<std::uint8_t> indices;

 private:
  static constexpr std::size_t kSlots = 1024;  // open addressing; at most 256 used
  std::optional<std::uint8_t> Find(std::uint32_t c) {
    std::size_t h = (c * 2654435761u) >> 22;
    for (;; h = (h + 1) & (kSlots - 1)) {
      if (slots_[h] == 0) {
        if (colours.size() == kMaxPalette) return std::nullopt;
        colours.push_back(c);
        slots_[h] = static_cast<std::uint16_t>(colours.size());
        return static_cast<std::uint8_t>(colours.size() - 1);
      }
      if (colours[slots_[h] - 1] == c) return static_cast<std::uint8_t>(slots_[h] - 1);
    }
  }
  std::uint16_t slots_[kSlots] = {};  // palette index + 1; 0 = empty
};

namespace {

void Put(std::vector<std::uint8_t>& b, std::uint64_t v, int n) {
  for (int i = 0; i < n; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void PutRect(std::vector<std::uint8_t>& b, const PixelRect& r) {
  Put(b, static_cast<std::uint16_t>(r.x), 2);
  Put(b, static_cast<std::uint16_t>(r.y), 2);
  Put(b, static_cast<std::uint16_t>(r.width), 2);
  Put(b, static_cast<std::uint16_t>(r.height), 2);
}

std::uint64_t RowHash(const std::uint8_t* p, std::size_t n) {
  std::uint64_t h = 1469598103934665603ull;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = (h ^ w) * 1099511628211ull;
    h ^= h >> 29;
  }
  for (; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

class Cursor {
 public:
  explicit Cursor(std::span<const std::uint8_t> s) : s_(s) {}
  bool Get(std::uint64_t& v, int n) {
    if (s_.size() - pos_ < static_cast<std::size_t>(n)) return false;
    v = 0;
    for (int i = 0; i < n; ++i) v |= std::uint64_t(s_[pos_ + i]) << (8 * i);
    pos_ += static_cast<std::size_t>(n);
    return true;
  }
  bool Rect(PixelRect& r, int w, int h) {
    std::uint64_t a, b, c, d;
    if (!Get(a, 2) || !Get(b, 2) || !Get(c, 2) || !Get(d, 2)) return false;
    r = PixelRect{int(a), int(b), int(c), int(d)};
    return r.x + r.width <= w && r.y + r.height <= h;
  }
  const std::uint8_t* Take(std::size_t n) {
    if (s_.size() - pos_ < n) return nullptr;
    const std::uint8_t* p = s_.data() + pos_;
    pos_ += n;
    return p;
  }
  bool AtEnd() const { return pos_ == s_.size(); }

 private:
  std::span<const std::uint8_t> s_;
  std::size_t pos_ = 0;
};

// Moves rows of `r` so that row y takes the old row y - dy (rows leaving r are dropped).
void ApplyScroll(std::vector<std::uint8_t>& fb, int width, const PixelRect& r, int dy) {
  const std::size_t stride = std::size_t(width) * 4, bytes = std::size_t(r.width) * 4;
  auto row = [&](int y) { return fb.data() + std::size_t(y) * stride + std::size_t(r.x) * 4; };
  if (dy > 0) {
    for (int y = r.y + r.height - 1; y >= r.y + dy; --y) std::memmove(row(y), row(y - dy), bytes);
  } else {
    for (int y = r.y; y < r.y + r.height + dy; ++y) std::memmove(row(y), row(y - dy), bytes);
  }
}

// Paints an indexed rectangle (spec: "I") into a BGRX framebuffer; false when malformed.
bool DecodeIndexed(Cursor& in, const PixelRect& r, std::vector<std::uint8_t>& fb, std::size_t stride) {
  std::uint64_t n1;
  if (!in.Get(n1, 1)) return false;
  const int n = int(n1) + 1;
  const std::uint8_t* palette = in.Take(std::size_t(n) * 3);
  if (!palette) return false;
  const int bits = IndexBits(n);
  const std::size_t row_bytes = PackedRowBytes(r.width, bits);
  const std::uint8_t mask = static_cast<std::uint8_t>((1u << bits) - 1);
  for (int y = r.y; y < r.y + r.height; ++y) {
    const std::uint8_t* row = in.Take(row_bytes);
    if (!row) return false;
    std::uint8_t* dst = fb.data() + std::size_t(y) * stride + std::size_t(r.x) * 4;
    for (int x = 0; x < r.width; ++x, dst += 4) {
      const std::size_t bit = std::size_t(x) * std::size_t(bits);
      const int index = (row[bit / 8] >> (8 - bits - int(bit % 8))) & mask;
      if (index >= n) return false;
      const std::uint8_t* c = palette + 3 * index;
      dst[0] = c[0], dst[1] = c[1], dst[2] = c[2], dst[3] = 0;
    }
  }
  return true;
}

}  // namespace

FrameEncoder::FrameEncoder(int width, int height)
    : width_(width), height_(height), prev_(std::size_t(width) * height * 4, 0),
      palette_(std::make_unique<PaletteBuilder>()) {}

FrameEncoder::~FrameEncoder() = default;

void FrameEncoder::BeginChunk() { need_key_ = true; }

void FrameEncoder::EmitRect(std::span<const std::uint8_t> cur, const PixelRect& r, bool key) {
  const std::size_t stride = std::size_t(width_) * 4;
  for (int y = r.y; y < r.y + r.height; ++y) {
    const std::size_t off = std::size_t(y) * stride + std::size_t(r.x) * 4;
    std::memcpy(prev_.data() + off, cur.data() + off, std::size_t(r.width) * 4);
  }
  // Few colours (text, UI, the mask fill) go as palette indices: 1-8 bits a pixel instead
  // of 24, which zstd then compresses much further.
  if (palette_->Build(cur, width_, r)) {
    const int n = static_cast<int>(palette_->colours.size());
    const int bits = IndexBits(n);
    raw_.push_back(key ? kOpIndexedKey : kOpIndexed);
    if (!key) PutRect(raw_, r);
    raw_.push_back(static_cast<std::uint8_t>(n - 1));
    for (std::uint32_t c : palette_->colours) Put(raw_, c, 3);
    const std::size_t row_bytes = PackedRowBytes(r.width, bits);
    const std::uint8_t* in = palette_->indices.data();
    for (int y = 0; y < r.height; ++y) {
      const std::size_t at = raw_.size();
      raw_.resize(at + row_bytes, 0);
      for (int x = 0; x < r.width; ++x) {
        const std::size_t bit = std::size_t(x) * std::size_t(bits);
        raw_[at + bit / 8] |= static_cast<std::uint8_t>(*in++ << (8 - bits - int(bit % 8)));
      }
    }
    return;
  }
  raw_.push_back(key ? kOpKey : kOpRect);
  if (!key) PutRect(raw_, r);
  for (int y = r.y; y < r.y + r.height; ++y) {
    const std::uint8_t* src = cur.data() + std::size_t(y) * stride + std::size_t(r.x) * 4;
    for (int x = 0; x < r.width; ++x) raw_.insert(raw_.end(), src + 4 * x, src + 4 * x + 3);
  }
}

bool FrameEncoder::TryScroll(std::span<const std::uint8_t> cur, const PixelRect& r) {
  if (r.height < 32 || r.width < 32) return false;
  const std::size_t stride = std::size_t(width_) * 4, bytes = std::size_t(r.width) * 4;
  std::vector<std::uint64_t> hc(std::size_t(r.height)), hp(std::size_t(r.height));
  for (int i = 0; i < r.height; ++i) {
    const std::size_t off = std::size_t(r.y + i) * stride + std::size_t(r.x) * 4;
    hc[std::size_t(i)] = RowHash(cur.data() + off, bytes);
    hp[std::size_t(i)] = RowHash(prev_.data() + off, bytes);
  }
  // Vote with changed rows whose content occurs exactly once in the previous frame
  // (blank rows match everywhere and say nothing about the shift).
  std::unordered_map<std::uint64_t, int> where;  // hash -> row, or -1 when repeated
  for (int j = 0; j < r.height; ++j) {
    auto [it, fresh] = where.emplace(hp[std::size_t(j)], j);
    if (!fresh) it->second = -1;
  }
  std::map<int, int> votes;
  for (int i = 0; i < r.height; ++i) {
    if (hc[std::size_t(i)] == hp[std::size_t(i)]) continue;
    auto it = where.find(hc[std::size_t(i)]);
    if (it != where.end() && it->second >= 0) ++votes[i - it->second];
  }
  int best = 0, best_votes = 0;
  for (auto [dy, n] : votes) {
    if (n > best_votes) best = dy, best_votes = n;
  }
  if (best_votes < 3) return false;
  int same = 0, shifted = 0;
  for (int i = 0; i < r.height; ++i) {
    same += hc[std::size_t(i)] == hp[std::size_t(i)];
    const int j = i - best;
    shifted += j >= 0 && j < r.height && hc[std::size_t(i)] == hp[std::size_t(j)];
  }
  if (shifted < same + 8) return false;
  raw_.push_back(kOpScroll);
  PutRect(raw_, r);
  Put(raw_, static_cast<std::uint16_t>(static_cast<std::int16_t>(best)), 2);
  ApplyScroll(prev_, width_, r, best);
  return true;
}

void FrameEncoder::EncodeRegion(std::span<const std::uint8_t> cur, const PixelRect& r, int& ops) {
  // Scrolls are found per strip of columns, so a scrolling window stays recognisable
  // when its region also spans unrelated changes beside it.
  constexpr int kStrip = 256;
  if (r.width > kStrip) {
    for (int x = r.x; x < r.x + r.width; x += kStrip) {
      EncodeRegion(cur, PixelRect{x, r.y, std::min(kStrip, r.x + r.width - x), r.height}, ops);
    }
    return;
  }
  if (TryScroll(cur, r)) ++ops;
  const std::size_t stride = std::size_t(width_) * 4;
  // Emit bands of changed rows, each narrowed to its changed columns.
  int y = r.y;
  while (y < r.y + r.height) {
    int x0 = r.x + r.width, x1 = r.x, y_end = y;
    for (; y_end < r.y + r.height; ++y_end) {
      const std::uint32_t* c = reinterpret_cast<const std::uint32_t*>(cur.data() + std::size_t(y_end) * stride) + r.x;
      const std::uint32_t* p = reinterpret_cast<const std::uint32_t*>(prev_.data() + std::size_t(y_end) * stride) + r.x;
      int l = 0, h = r.width;
      while (l < h && ((c[l] ^ p[l]) & 0x00ffffffu) == 0) ++l;
      if (l == h) break;
      while (h > l && ((c[h - 1] ^ p[h - 1]) & 0x00ffffffu) == 0) --h;
      x0 = std::min(x0, r.x + l);
      x1 = std::max(x1, r.x + h);
      if (y_end - y >= 63) { ++y_end; break; }
    }
    if (y_end > y && x1 > x0) {
      EmitRect(cur, PixelRect{x0, y, x1 - x0, y_end - y}, false);
      ++ops;
      y = y_end;
    } else {
      ++y;
    }
  }
}

void FrameEncoder::AddFrame(std::int64_t t_ms, std::span<const std::uint8_t> masked,
                            const std::vector<PixelRect>& regions, bool full_mask,
                            const std::vector<PixelRect>& masks) {
  raw_.push_back(kItemFrame);
  Put(raw_, static_cast<std::uint64_t>(t_ms), 8);
  raw_.push_back(full_mask ? 1 : 0);
  Put(raw_, masks.size(), 2);
  for (const PixelRect& m : masks) PutRect(raw_, m);
  const std::size_t ops_at = raw_.size();
  Put(raw_, 0, 2);
  int ops = 0;
  if (need_key_) {
    EmitRect(masked, PixelRect{0, 0, width_, height_}, true);
    ops = 1;
    need_key_ = false;
  } else {
    for (const PixelRect& r : regions) {
      if (r.width > 0 && r.height > 0) EncodeRegion(masked, r, ops);
    }
  }
  raw_[ops_at] = static_cast<std::uint8_t>(ops);
  raw_[ops_at + 1] = static_cast<std::uint8_t>(ops >> 8);
}

void FrameEncoder::AddKey(std::int64_t t_ms, std::uint16_t scancode, bool down, bool redacted) {
  raw_.push_back(kItemKey);
  Put(raw_, static_cast<std::uint64_t>(t_ms), 8);
  Put(raw_, redacted ? 0 : scancode, 2);
  raw_.push_back(static_cast<std::uint8_t>((down ? 1 : 0) | (redacted ? 2 : 0)));
}

void FrameEncoder::AddPointer(std::int64_t t_ms, int x, int y, int buttons, int wheel) {
  raw_.push_back(kItemPointer);
  Put(raw_, static_cast<std::uint64_t>(t_ms), 8);
  Put(raw_, static_cast<std::uint16_t>(x), 2);
  Put(raw_, static_cast<std::uint16_t>(y), 2);
  raw_.push_back(static_cast<std::uint8_t>(buttons));
  Put(raw_, static_cast<std::uint16_t>(static_cast<std::int16_t>(wheel)), 2);
}

Result<std::vector<std::uint8_t>> FrameEncoder::FinishChunk(int level) {
  std::vector<std::uint8_t> out(ZSTD_compressBound(raw_.size()));
  const std::size_t n = ZSTD_compress(out.data(), out.size(), raw_.data(), raw_.size(), level);
  if (ZSTD_isError(n)) return MakeError(Errc::kInternal, ZSTD_getErrorName(n));
  out.resize(n);
  raw_.clear();
  return out;
}

FrameDecoder::FrameDecoder(int width, int height)
    : width_(width), height_(height), fb_(std::size_t(width) * height * 4, 0) {}

Result<void> FrameDecoder::DecodeChunk(std::span<const std::uint8_t> payload,
                                       const std::function<void(const DecodedFrame&)>& on_frame,
                                       const std::function<void(const DecodedKey&)>& on_key,
                                       const std::function<void(const DecodedPointer&)>& on_pointer) {
  const unsigned long long size = ZSTD_getFrameContentSize(payload.data(), payload.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > kMaxPayloadBytes) {
    return MakeError(Errc::kCorrupt, "chunk payload size missing or over the cap");
  }
  std::vector<std::uint8_t> raw(size);
  if (ZSTD_isError(ZSTD_decompress(raw.data(), raw.size(), payload.data(), payload.size()))) {
    return MakeError(Errc::kCorrupt, "chunk payload does not decompress");
  }
  const Error bad = MakeError(Errc::kCorrupt, "malformed chunk payload");
  const std::size_t stride = std::size_t(width_) * 4;
  Cursor in(raw);
  std::uint64_t v;
  while (!in.AtEnd()) {
    std::uint64_t type, t;
    if (!in.Get(type, 1) || !in.Get(t, 8)) return bad;
    if (type == kItemKey) {
      std::uint64_t sc, fl;
      if (!in.Get(sc, 2) || !in.Get(fl, 1)) return bad;
      if (on_key) on_key(DecodedKey{std::int64_t(t), std::uint16_t(sc), (fl & 1) != 0, (fl & 2) != 0});
      continue;
    }
    if (type == kItemPointer) {
      std::uint64_t x, y, buttons, wheel;
      if (!in.Get(x, 2) || !in.Get(y, 2) || !in.Get(buttons, 1) || !in.Get(wheel, 2)) return bad;
      if (on_pointer) {
        on_pointer(DecodedPointer{std::int64_t(t), int(x), int(y), int(buttons), int(std::int16_t(std::uint16_t(wheel)))});
      }
      continue;
    }
    if (type != kItemFrame) return bad;
    DecodedFrame f{std::int64_t(t), false, false, {}, {}};
    std::uint64_t full, nmask, nops;
    if (!in.Get(full, 1) || !in.Get(nmask, 2)) return bad;
    f.full_mask = full != 0;
    f.masks.resize(nmask);
    for (PixelRect& m : f.masks) if (!in.Rect(m, width_, height_)) return bad;
    if (!in.Get(nops, 2)) return bad;
    for (std::uint64_t k = 0; k < nops; ++k) {
      if (!in.Get(v, 1)) return bad;
      PixelRect r{0, 0, width_, height_};
      if (v == kOpScroll) {
        std::uint64_t dy;
        if (!in.Rect(r, width_, height_) || !in.Get(dy, 2)) return bad;
        const int d = static_cast<std::int16_t>(dy);
        if (d <= -r.height || d >= r.height) return bad;
        ApplyScroll(fb_, width_, r, d);
        continue;
      }
      if (v == kOpIndexed || v == kOpIndexedKey) {
        if (v == kOpIndexed && !in.Rect(r, width_, height_)) return bad;
        if (!DecodeIndexed(in, r, fb_, stride)) return bad;
        if (v == kOpIndexedKey) f.key_frame = true;  // the writer says so; a large I does not
        continue;
      }
      if (v == kOpKey) {
        f.key_frame = true;
      } else if (v != kOpRect || !in.Rect(r, width_, height_)) {
        return bad;
      }
      const std::uint8_t* px = in.Take(std::size_t(r.width) * r.height * 3);
      if (!px) return bad;
      for (int y = r.y; y < r.y + r.height; ++y) {
        std::uint8_t* dst = fb_.data() + std::size_t(y) * stride + std::size_t(r.x) * 4;
        for (int x = 0; x < r.width; ++x, px += 3) {
          dst[4 * x] = px[0], dst[4 * x + 1] = px[1], dst[4 * x + 2] = px[2], dst[4 * x + 3] = 0;
        }
      }
    }
    f.pixels = fb_;
    if (on_frame) on_frame(f);
  }
  return Ok();
}

}  // namespace safedesk::recording
