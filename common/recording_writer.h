#pragma once
// Appends hash-chained chunks to a recording file and seals it (spec:
// common/RECORDING_FORMAT.md). Every append is followed by fdatasync, so what a crash
// leaves behind is a prefix of whole chunks plus at most one torn record.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/crypto.h"
#include "common/random.h"
#include "common/recording_format.h"
#include "common/result.h"

namespace safedesk::recording {

class RecordingWriter {
 public:
  // Creates `path` (must not exist) and writes the header. `aead_key` (32 bytes) is
  // required exactly when header.flags has kFlagEncrypted.
  static Result<std::unique_ptr<RecordingWriter>> Create(const std::string& path, Header header,
                                                         Ed25519PrivateKey seal_key,
                                                         std::optional<Secret> aead_key, Random& random);
  ~RecordingWriter();
  RecordingWriter(const RecordingWriter&) = delete;
  RecordingWriter& operator=(const RecordingWriter&) = delete;

  Result<void> AppendChunk(const ChunkStats& stats, std::span<const std::uint8_t> payload);
  // Writes the index and the signed seal; no append after it.
  Result<void> Seal(std::int64_t duration_ms);

  const Header& header() const { return header_; }
  std::uint32_t chunk_count() const { return static_cast<std::uint32_t>(index_.size()); }

 private:
  RecordingWriter(int fd, Header header, Ed25519PrivateKey key, std::optional<Secret> aead_key,
                  Random& random);
  Result<void> WriteDurably(std::span<const std::uint8_t> bytes);

  int fd_;
  Header header_;
  Ed25519PrivateKey key_;
  std::optional<Secret> aead_key_;
  Random& random_;
  Sha256Digest header_hash_{};
  Sha256Digest chain_{};
  std::uint64_t offset_ = 0;
  std::vector<IndexEntry> index_;
  bool sealed_ = false;
};

// Writes index + seal for chunks already in the file (used by recovery).
Result<void> AppendSeal(int fd, std::uint64_t offset, const Header& header, const Sha256Digest& header_hash,
                        const Sha256Digest& final_hash, const std::vector<IndexEntry>& index,
                        std::int64_t duration_ms, bool recovered, const Ed25519PrivateKey& key);

}  // namespace safedesk::recording
