// Spec: common/RECORDING_FORMAT.md.
#include "common/recording_format.h"

#include <cstring>

namespace safedesk::recording {
namespace {

class Out {
 public:
  void U8(std::uint8_t v) { b_.push_back(v); }
  void U16(std::uint16_t v) { Le(v, 2); }
  void U32(std::uint32_t v) { Le(v, 4); }
  void U64(std::uint64_t v) { Le(v, 8); }
  void I64(std::int64_t v) { Le(static_cast<std::uint64_t>(v), 8); }
  void Raw(std::span<const std::uint8_t> s) { b_.insert(b_.end(), s.begin(), s.end()); }
  void Str16(const std::string& s) {
    U16(static_cast<std::uint16_t>(s.size()));
    b_.insert(b_.end(), s.begin(), s.end());
  }
  std::vector<std::uint8_t> Take() { return std::move(b_); }

 private:
  void Le(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) b_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  std::vector<std::uint8_t> b_;
};

class In {
 public:
  explicit In(std::span<const std::uint8_t> s) : s_(s) {}
  bool U8(std::uint8_t& v) { std::uint64_t x; if (!Le(x, 1)) return false; v = static_cast<std::uint8_t>(x); return true; }
  bool U16(std::uint16_t& v) { std::uint64_t x; if (!Le(x, 2)) return false; v = static_cast<std::uint16_t>(x); return true; }
  bool U32(std::uint32_t& v) { std::uint64_t x; if (!Le(x, 4)) return false; v = static_cast<std::uint32_t>(x); return true; }
  bool U64(std::uint64_t& v) { return Le(v, 8); }
  bool I64(std::int64_t& v) { std::uint64_t x; if (!Le(x, 8)) return false; v = static_cast<std::int64_t>(x); return true; }
  bool Raw(std::span<std::uint8_t> out) {
    if (s_.size() - pos_ < out.size()) return false;
    std::memcpy(out.data(), s_.data() + pos_, out.size());
    pos_ += out.size();
    return true;
  }
  bool Bytes(std::size_t n, std::vector<std::uint8_t>& out) {
    if (s_.size() - pos_ < n) return false;
    out.assign(s_.begin() + static_cast<std::ptrdiff_t>(pos_), s_.begin() + static_cast<std::ptrdiff_t>(pos_ + n));
    pos_ += n;
    return true;
  }
  bool Str16(std::string& out, std::size_t cap) {
    std::uint16_t n;
    if (!U16(n) || n > cap || s_.size() - pos_ < n) return false;
    out.assign(reinterpret_cast<const char*>(s_.data() + pos_), n);
    pos_ += n;
    return true;
  }
  bool AtEnd() const { return pos_ == s_.size(); }

 private:
  bool Le(std::uint64_t& v, int n) {
    if (s_.size() - pos_ < static_cast<std::size_t>(n)) return false;
    v = 0;
    for (int i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(s_[pos_ + i]) << (8 * i);
    pos_ += static_cast<std::size_t>(n);
    return true;
  }
  std::span<const std::uint8_t> s_;
  std::size_t pos_ = 0;
};

Error Malformed(const char* what) { return MakeError(Errc::kCorrupt, std::string("malformed ") + what); }

void ChunkFields(Out& o, const Chunk& c) {
  o.U32(c.index);
  o.I64(c.stats.start_ms);
  o.I64(c.stats.end_ms);
  o.U32(c.stats.frame_count);
  o.U64(c.stats.pixel_area);
  o.U64(c.stats.masked_area);
  o.Raw(c.prev_hash);
  o.Raw(c.nonce);
  o.U32(static_cast<std::uint32_t>(c.payload.size()));
  o.Raw(c.payload);
}

}  // namespace

std::vector<std::uint8_t> EncodeHeader(const Header& h) {
  Out body;
  body.U16(kVersion);
  body.U16(h.flags);
  body.Str16(h.session_id);
  body.Raw(h.recording_id);
  body.I64(h.start_unix_ms);
  body.U32(h.width);
  body.U32(h.height);
  body.Str16(h.key_id);
  std::vector<std::uint8_t> b = body.Take();
  Out o;
  o.Raw(kMagic);
  o.U32(static_cast<std::uint32_t>(b.size()));
  o.Raw(b);
  return o.Take();
}

Result<Header> DecodeHeaderBody(std::span<const std::uint8_t> body) {
  In in(body);
  Header h;
  std::uint16_t version;
  if (!in.U16(version)) return Malformed("header");
  if (version != kVersion) return MakeError(Errc::kCorrupt, "unsupported recording version");
  if (!in.U16(h.flags) || !in.Str16(h.session_id, kMaxSessionIdBytes) || !in.Raw(h.recording_id) ||
      !in.I64(h.start_unix_ms) || !in.U32(h.width) || !in.U32(h.height) ||
      !in.Str16(h.key_id, kMaxSessionIdBytes) || !in.AtEnd()) {
    return Malformed("header");
  }
  return h;
}

Sha256Digest ChunkHash(const Sha256Digest& header_hash, const Chunk& chunk) {
  Out o;
  o.Raw(header_hash);
  ChunkFields(o, chunk);
  return Sha256(o.Take());
}

std::vector<std::uint8_t> EncodeChunkBody(const Chunk& c) {
  Out o;
  ChunkFields(o, c);
  o.Raw(c.hash);
  return o.Take();
}

Result<Chunk> DecodeChunkBody(std::span<const std::uint8_t> body) {
  In in(body);
  Chunk c;
  std::uint32_t n;
  if (!in.U32(c.index) || !in.I64(c.stats.start_ms) || !in.I64(c.stats.end_ms) ||
      !in.U32(c.stats.frame_count) || !in.U64(c.stats.pixel_area) || !in.U64(c.stats.masked_area) ||
      !in.Raw(c.prev_hash) || !in.Raw(c.nonce) || !in.U32(n) || !in.Bytes(n, c.payload) ||
      !in.Raw(c.hash) || !in.AtEnd()) {
    return Malformed("chunk");
  }
  return c;
}

std::vector<std::uint8_t> EncodeIndexBody(const std::vector<IndexEntry>& index) {
  Out o;
  o.U32(static_cast<std::uint32_t>(index.size()));
  for (const IndexEntry& e : index) {
    o.U64(e.offset);
    o.I64(e.start_ms);
    o.I64(e.end_ms);
  }
  return o.Take();
}

Result<std::vector<IndexEntry>> DecodeIndexBody(std::span<const std::uint8_t> body) {
  In in(body);
  std::uint32_t n;
  if (!in.U32(n) || static_cast<std::size_t>(n) * 24 != body.size() - 4) return Malformed("index");
  std::vector<IndexEntry> index(n);
  for (IndexEntry& e : index) {
    if (!in.U64(e.offset) || !in.I64(e.start_ms) || !in.I64(e.end_ms)) return Malformed("index");
  }
  return index;
}

std::vector<std::uint8_t> SealMessage(const Seal& s) {
  static constexpr std::string_view kContext = "safedesk-recording-seal-v1";
  Out o;
  o.Raw(std::span(reinterpret_cast<const std::uint8_t*>(kContext.data()), kContext.size()));
  o.Raw(s.recording_id);
  o.Raw(s.header_hash);
  o.Raw(s.final_hash);
  o.U32(s.chunk_count);
  o.I64(s.duration_ms);
  o.Raw(s.index_hash);
  o.U8(s.recovered);
  return o.Take();
}

std::vector<std::uint8_t> EncodeSealBody(const Seal& s) {
  Out o;
  o.Raw(s.recording_id);
  o.Raw(s.header_hash);
  o.Raw(s.final_hash);
  o.U32(s.chunk_count);
  o.I64(s.duration_ms);
  o.Raw(s.index_hash);
  o.U8(s.recovered);
  o.Raw(s.public_key);
  o.Raw(s.signature);
  return o.Take();
}

Result<Seal> DecodeSealBody(std::span<const std::uint8_t> body) {
  In in(body);
  Seal s;
  if (!in.Raw(s.recording_id) || !in.Raw(s.header_hash) || !in.Raw(s.final_hash) ||
      !in.U32(s.chunk_count) || !in.I64(s.duration_ms) || !in.Raw(s.index_hash) ||
      !in.U8(s.recovered) || !in.Raw(s.public_key) || !in.Raw(s.signature) || !in.AtEnd()) {
    return Malformed("seal");
  }
  return s;
}

std::vector<std::uint8_t> FrameRecord(RecordType type, std::span<const std::uint8_t> body) {
  Out o;
  o.U8(static_cast<std::uint8_t>(type));
  o.U32(static_cast<std::uint32_t>(body.size()));
  o.Raw(body);
  return o.Take();
}

std::vector<std::uint8_t> ChunkAad(const Sha256Digest& header_hash, std::uint32_t index) {
  Out o;
  o.Raw(header_hash);
  o.U32(index);
  return o.Take();
}

}  // namespace safedesk::recording
