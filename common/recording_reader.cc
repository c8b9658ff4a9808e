// Spec: common/RECORDING_FORMAT.md.
#include "common/recording_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/recording_writer.h"

namespace safedesk::recording {
namespace {

constexpr std::size_t kRecordHead = 5;
constexpr std::size_t kSealBodyBytes = 16 + 32 + 32 + 4 + 8 + 32 + 1 + 32 + 64;

bool PreadAll(int fd, std::uint64_t offset, std::span<std::uint8_t> out) {
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

std::uint32_t Le32(const std::uint8_t* p) {
  return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[3]) << 24;
}

// Reads magic + header; returns the header, its hash and the first record offset.
Result<std::pair<Header, Sha256Digest>> ReadHeader(int fd, std::uint64_t& offset) {
  std::uint8_t head[12];
  if (!PreadAll(fd, 0, head)) return MakeError(Errc::kCorrupt, "file too short for a header");
  if (!std::equal(kMagic.begin(), kMagic.end(), head)) return MakeError(Errc::kCorrupt, "not a safedesk recording");
  std::uint32_t n = Le32(head + 8);
  if (n > kMaxHeaderBytes) return MakeError(Errc::kCorrupt, "header too large");
  std::vector<std::uint8_t> all(12 + n);
  if (!PreadAll(fd, 0, all)) return MakeError(Errc::kCorrupt, "truncated header");
  auto h = DecodeHeaderBody(std::span(all).subspan(12));
  if (!h) return h.error();
  offset = all.size();
  return std::make_pair(std::move(*h), Sha256(all));
}

struct Rec {
  RecordType type;
  std::vector<std::uint8_t> body;
};

// nullopt at a clean end of file; error text for a torn or oversized record.
std::optional<Rec> ReadRecord(int fd, std::uint64_t offset, std::uint64_t size, std::string& problem) {
  if (offset == size) return std::nullopt;
  std::uint8_t head[kRecordHead];
  if (size - offset < kRecordHead || !PreadAll(fd, offset, head)) {
    problem = "truncated record at offset " + std::to_string(offset);
    return std::nullopt;
  }
  std::uint32_t n = Le32(head + 1);
  if (n > kMaxRecordBytes) {
    problem = "record at offset " + std::to_string(offset) + " exceeds the size cap";
    return std::nullopt;
  }
  if (size - offset - kRecordHead < n) {
    problem = "truncated record at offset " + std::to_string(offset);
    return std::nullopt;
  }
  Rec r{static_cast<RecordType>(head[0]), std::vector<std::uint8_t>(n)};
  if (!PreadAll(fd, offset + kRecordHead, r.body)) {
    problem = "read failed at offset " + std::to_string(offset);
    return std::nullopt;
  }
  return r;
}

std::string ChunkProblem(const Chunk& c, std::uint32_t expected, const Sha256Digest& chain,
                         const Sha256Digest& header_hash, std::int64_t last_end) {
  if (c.index != expected) {
    return "chunk index " + std::to_string(c.index) + " where " + std::to_string(expected) +
           " was expected (dropped, swapped or inserted chunk)";
  }
  if (c.prev_hash != chain) return "previous-hash link does not match the chain (dropped or swapped chunk)";
  if (ChunkHash(header_hash, c) != c.hash) return "chunk hash mismatch (content changed)";
  if (c.stats.start_ms < last_end || c.stats.end_ms < c.stats.start_ms) return "chunk times go backwards";
  return {};
}

void CheckTrailer(int fd, std::uint64_t offset, std::uint64_t size, VerifyReport& r,
                  const Ed25519PublicKey* trusted, std::optional<Rec> first) {
  std::string problem;
  if (!first) {
    r.status = "unsealed";
    r.problem = "no seal: the writer did not finish (run recovery)";
    return;
  }
  if (first->type != RecordType::kIndex) {
    r.status = "broken";
    r.problem = "unknown record type after the chunks";
    return;
  }
  auto index = DecodeIndexBody(first->body);
  Sha256Digest index_hash = Sha256(first->body);
  offset += kRecordHead + first->body.size();
  std::optional<Rec> seal_rec = ReadRecord(fd, offset, size, problem);
  r.status = "broken";
  if (!seal_rec || seal_rec->type != RecordType::kSeal) {
    r.problem = problem.empty() ? "index without a seal" : problem;
    return;
  }
  auto seal = DecodeSealBody(seal_rec->body);
  if (!seal) { r.problem = seal.error().message; return; }
  if (offset + kRecordHead + seal_rec->body.size() != size) { r.problem = "data after the seal"; return; }
  if (!index) { r.problem = index.error().message; return; }
  if (seal->recording_id != r.header.recording_id || seal->header_hash != r.header_hash) {
    r.problem = "seal belongs to another recording";
    return;
  }
  if (seal->final_hash != r.final_hash || seal->chunk_count != r.chunks_ok) {
    r.problem = "seal does not match the chunk chain";
    return;
  }
  if (seal->index_hash != index_hash) { r.problem = "index does not match the seal"; return; }
  auto key = Ed25519PublicKey::FromRaw(seal->public_key);
  if (!key || !key->Verify(SealMessage(*seal), seal->signature)) { r.problem = "seal signature invalid"; return; }
  if (trusted && trusted->raw() != seal->public_key) { r.problem = "seal signed by an untrusted key"; return; }
  if (index->size() != r.scanned_index.size()) { r.problem = "index length mismatch"; return; }
  for (std::size_t i = 0; i < index->size(); ++i) {
    const IndexEntry& a = (*index)[i];
    const IndexEntry& b = r.scanned_index[i];
    if (a.offset != b.offset || a.start_ms != b.start_ms || a.end_ms != b.end_ms) {
      r.problem = "index entry " + std::to_string(i) + " does not match its chunk";
      return;
    }
  }
  r.duration_ms = seal->duration_ms;
  r.status = seal->recovered ? "recovered" : "sealed";
  r.ok = true;
}

VerifyReport VerifyFd(int fd, const Ed25519PublicKey* trusted) {
  VerifyReport r;
  r.status = "broken";
  struct stat st {};
  if (::fstat(fd, &st) != 0) { r.problem = "cannot stat"; return r; }
  const std::uint64_t size = static_cast<std::uint64_t>(st.st_size);
  std::uint64_t offset = 0;
  auto head = ReadHeader(fd, offset);
  if (!head) { r.problem = head.error().message; return r; }
  r.header = head->first;
  r.header_hash = head->second;
  r.final_hash = r.header_hash;
  r.valid_end = offset;
  std::int64_t last_end = 0;
  std::string problem;
  for (;;) {
    std::optional<Rec> rec = ReadRecord(fd, offset, size, problem);
    if (!rec || rec->type != RecordType::kChunk) {
      if (!problem.empty()) {
        r.broken_chunk = r.chunks_ok;
        r.problem = problem;
        return r;
      }
      CheckTrailer(fd, offset, size, r, trusted, std::move(rec));
      return r;
    }
    auto chunk = DecodeChunkBody(rec->body);
    std::string why = chunk ? ChunkProblem(*chunk, r.chunks_ok, r.final_hash, r.header_hash, last_end)
                            : chunk.error().message;
    if (!why.empty()) {
      r.broken_chunk = r.chunks_ok;
      r.problem = why;
      return r;
    }
    r.scanned_index.push_back(IndexEntry{offset, chunk->stats.start_ms, chunk->stats.end_ms});
    r.final_hash = chunk->hash;
    r.frames += chunk->stats.frame_count;
    r.pixel_area += chunk->stats.pixel_area;
    r.masked_area += chunk->stats.masked_area;
    r.duration_ms = chunk->stats.end_ms;
    last_end = chunk->stats.end_ms;
    ++r.chunks_ok;
    offset += kRecordHead + rec->body.size();
    r.valid_end = offset;
  }
}

}  // namespace

VerifyReport VerifyRecording(const std::string& path, const Ed25519PublicKey* trusted) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    VerifyReport r;
    r.status = "broken";
    r.problem = "cannot open: " + std::string(std::strerror(errno));
    return r;
  }
  VerifyReport r = VerifyFd(fd, trusted);
  ::close(fd);
  return r;
}

Result<VerifyReport> RecoverRecording(const std::string& path, const Ed25519PrivateKey& key) {
  VerifyReport r = VerifyRecording(path, &key.public_key());
  if (r.ok) return r;
  if (r.valid_end == 0) return MakeError(Errc::kCorrupt, "cannot recover: " + r.problem);
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return MakeError(Errc::kIo, "cannot open for recovery: " + std::string(std::strerror(errno)));
  Result<void> done = ::ftruncate(fd, static_cast<off_t>(r.valid_end)) == 0
                          ? AppendSeal(fd, r.valid_end, r.header, r.header_hash, r.final_hash, r.scanned_index,
                                       r.duration_ms, true, key)
                          : Result<void>(MakeError(Errc::kIo, "truncate failed"));
  ::close(fd);
  if (!done) return done.error();
  return VerifyRecording(path, &key.public_key());
}

RecordingReader::~RecordingReader() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::unique_ptr<RecordingReader>> RecordingReader::Open(const std::string& path,
                                                               std::optional<Secret> aead_key) {
  std::unique_ptr<RecordingReader> rd(new RecordingReader());
  rd->fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (rd->fd_ < 0) return MakeError(Errc::kIo, "cannot open recording " + path);
  rd->aead_key_ = std::move(aead_key);
  struct stat st {};
  if (::fstat(rd->fd_, &st) != 0) return MakeError(Errc::kIo, "cannot stat recording");
  const std::uint64_t size = static_cast<std::uint64_t>(st.st_size);
  std::uint64_t offset = 0;
  auto head = ReadHeader(rd->fd_, offset);
  if (!head) return head.error();
  rd->header_ = head->first;
  rd->header_hash_ = head->second;
  if (rd->header_.encrypted() && !rd->aead_key_) return MakeError(Errc::kInvalidArgument, "recording is encrypted: key needed");
  // Fast path: the seal is last and fixed-size; the index sits just before it.
  std::string problem;
  const std::uint64_t seal_at = size >= kRecordHead + kSealBodyBytes ? size - kRecordHead - kSealBodyBytes : 0;
  if (seal_at > offset) {
    std::optional<Rec> seal_rec = ReadRecord(rd->fd_, seal_at, size, problem);
    if (seal_rec && seal_rec->type == RecordType::kSeal) {
      auto seal = DecodeSealBody(seal_rec->body);
      const std::uint64_t index_len = kRecordHead + 4 + 24ull * (seal ? seal->chunk_count : 0);
      if (seal && seal_at >= offset + index_len) {
        std::optional<Rec> idx = ReadRecord(rd->fd_, seal_at - index_len, seal_at, problem);
        if (idx && idx->type == RecordType::kIndex) {
          if (auto index = DecodeIndexBody(idx->body)) {
            rd->index_ = std::move(*index);
            return rd;
          }
        }
      }
    }
  }
  problem.clear();
  for (;;) {
    std::uint8_t rh[kRecordHead];
    if (size - offset < kRecordHead || !PreadAll(rd->fd_, offset, rh) || rh[0] != 'C') break;
    std::uint32_t n = Le32(rh + 1);
    if (size - offset - kRecordHead < n) break;
    std::uint8_t times[16];
    if (!PreadAll(rd->fd_, offset + kRecordHead + 4, times)) break;
    std::int64_t start = 0, end = 0;
    for (int i = 0; i < 8; ++i) {
      start |= std::int64_t(times[i]) << (8 * i);
      end |= std::int64_t(times[8 + i]) << (8 * i);
    }
    rd->index_.push_back(IndexEntry{offset, start, end});
    offset += kRecordHead + n;
  }
  return rd;
}

std::size_t RecordingReader::FindChunk(std::int64_t ms) const {
  auto it = std::upper_bound(index_.begin(), index_.end(), ms,
                             [](std::int64_t v, const IndexEntry& e) { return v < e.start_ms; });
  return it == index_.begin() ? 0 : static_cast<std::size_t>(it - index_.begin() - 1);
}

Result<std::vector<std::uint8_t>> RecordingReader::ReadChunk(std::size_t i, ChunkStats* stats) const {
  if (i >= index_.size()) return MakeError(Errc::kNotFound, "no such chunk");
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return MakeError(Errc::kIo, "cannot stat recording");
  std::string problem;
  std::optional<Rec> rec = ReadRecord(fd_, index_[i].offset, static_cast<std::uint64_t>(st.st_size), problem);
  if (!rec || rec->type != RecordType::kChunk) return MakeError(Errc::kCorrupt, "index points at no chunk");
  auto c = DecodeChunkBody(rec->body);
  if (!c) return c.error();
  if (c->index != i || ChunkHash(header_hash_, *c) != c->hash) return MakeError(Errc::kCorrupt, "chunk fails its hash");
  if (stats) *stats = c->stats;
  if (!header_.encrypted()) return std::move(c->payload);
  auto plain = AeadOpen(*aead_key_, c->nonce, ChunkAad(header_hash_, c->index), c->payload);
  if (!plain) return plain.error();
  return std::vector<std::uint8_t>(plain->bytes().begin(), plain->bytes().end());
}

}  // namespace safedesk::recording
