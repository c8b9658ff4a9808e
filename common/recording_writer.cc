// Spec: common/RECORDING_FORMAT.md.
#include "common/recording_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace safedesk::recording {
namespace {

Result<void> PwriteAll(int fd, std::uint64_t offset, std::span<const std::uint8_t> bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::pwrite(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return MakeError(Errc::kIo, std::string("recording write failed: ") + std::strerror(errno));
    done += static_cast<std::size_t>(n);
  }
  if (::fdatasync(fd) != 0) return MakeError(Errc::kIo, std::string("recording fdatasync failed: ") + std::strerror(errno));
  return Ok();
}

}  // namespace

Result<void> AppendSeal(int fd, std::uint64_t offset, const Header& header, const Sha256Digest& header_hash,
                        const Sha256Digest& final_hash, const std::vector<IndexEntry>& index,
                        std::int64_t duration_ms, bool recovered, const Ed25519PrivateKey& key) {
  std::vector<std::uint8_t> index_body = EncodeIndexBody(index);
  Seal seal;
  seal.recording_id = header.recording_id;
  seal.header_hash = header_hash;
  seal.final_hash = final_hash;
  seal.chunk_count = static_cast<std::uint32_t>(index.size());
  seal.duration_ms = duration_ms;
  seal.index_hash = Sha256(index_body);
  seal.recovered = recovered ? 1 : 0;
  seal.public_key = key.public_key().raw();
  seal.signature = key.Sign(SealMessage(seal));
  std::vector<std::uint8_t> out = FrameRecord(RecordType::kIndex, index_body);
  std::vector<std::uint8_t> seal_record = FrameRecord(RecordType::kSeal, EncodeSealBody(seal));
  out.insert(out.end(), seal_record.begin(), seal_record.end());
  return PwriteAll(fd, offset, out);
}

RecordingWriter::RecordingWriter(int fd, Header header, Ed25519PrivateKey key,
                                 std::optional<Secret> aead_key, Random& random)
    : fd_(fd), header_(std::move(header)), key_(std::move(key)), aead_key_(std::move(aead_key)), random_(random) {}

RecordingWriter::~RecordingWriter() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::unique_ptr<RecordingWriter>> RecordingWriter::Create(const std::string& path, Header header,
                                                                 Ed25519PrivateKey seal_key,
                                                                 std::optional<Secret> aead_key,
                                                                 Random& random) {
  if (header.encrypted() != (aead_key.has_value() && aead_key->size() == kAeadKeySize)) {
    return MakeError(Errc::kInvalidArgument, "recording encryption needs exactly one 32-byte key");
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return MakeError(Errc::kIo, "cannot create recording " + path + ": " + std::strerror(errno));
  std::unique_ptr<RecordingWriter> w(
      new RecordingWriter(fd, std::move(header), std::move(seal_key), std::move(aead_key), random));
  std::vector<std::uint8_t> head = EncodeHeader(w->header_);
  w->header_hash_ = Sha256(head);
  w->chain_ = w->header_hash_;
  SAFEDESK_TRY(w->WriteDurably(head));
  // The directory entry must survive a crash too.
  int dir = ::open(std::filesystem::path(path).parent_path().empty()
                       ? "."
                       : std::filesystem::path(path).parent_path().c_str(),
                   O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return w;
}

Result<void> RecordingWriter::WriteDurably(std::span<const std::uint8_t> bytes) {
  SAFEDESK_TRY(PwriteAll(fd_, offset_, bytes));
  offset_ += bytes.size();
  return Ok();
}

Result<void> RecordingWriter::AppendChunk(const ChunkStats& stats, std::span<const std::uint8_t> payload) {
  if (sealed_) return MakeError(Errc::kInvalidArgument, "recording already sealed");
  Chunk c;
  c.index = chunk_count();
  c.stats = stats;
  c.prev_hash = chain_;
  if (aead_key_) {
    SAFEDESK_TRY(random_.Fill(c.nonce));
    auto sealed = AeadSeal(*aead_key_, c.nonce, ChunkAad(header_hash_, c.index), payload);
    if (!sealed) return sealed.error();
    c.payload = std::move(*sealed);
  } else {
    c.payload.assign(payload.begin(), payload.end());
  }
  c.hash = ChunkHash(header_hash_, c);
  std::vector<std::uint8_t> record = FrameRecord(RecordType::kChunk, EncodeChunkBody(c));
  if (record.size() > kMaxRecordBytes) return MakeError(Errc::kLimitExceeded, "recording chunk too large");
  const std::uint64_t at = offset_;
  SAFEDESK_TRY(WriteDurably(record));
  index_.push_back(IndexEntry{at, stats.start_ms, stats.end_ms});
  chain_ = c.hash;
  return Ok();
}

Result<void> RecordingWriter::Seal(std::int64_t duration_ms) {
  if (sealed_) return MakeError(Errc::kInvalidArgument, "recording already sealed");
  sealed_ = true;
  return AppendSeal(fd_, offset_, header_, header_hash_, chain_, index_, duration_ms, false, key_);
}

}  // namespace safedesk::recording
