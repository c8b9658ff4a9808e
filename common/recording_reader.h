#pragma once
// Reads, verifies and recovers recording files (spec: common/RECORDING_FORMAT.md).
// Replay and `safedeskctl recording verify` use this; the payload codec is
// recording/frame_codec.h.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/crypto.h"
#include "common/recording_format.h"
#include "common/result.h"

namespace safedesk::recording {

struct VerifyReport {
  bool ok = false;
  std::string status;   // "sealed", "recovered", "unsealed", "broken"
  std::string problem;  // why not ok; empty when ok
  long broken_chunk = -1;
  Header header;
  std::uint32_t chunks_ok = 0;  // whole chunks whose hash chain verified
  std::int64_t duration_ms = 0;
  std::uint64_t frames = 0;
  std::uint64_t pixel_area = 0;
  std::uint64_t masked_area = 0;
  std::uint64_t valid_end = 0;  // file offset just after the last good chunk
  Sha256Digest header_hash{};
  Sha256Digest final_hash{};
  std::vector<IndexEntry> scanned_index;
  double masked_share() const { return pixel_area ? double(masked_area) / double(pixel_area) : 0.0; }
};

// Checks header, chain, index and seal. With `trusted`, the seal must be by that key.
VerifyReport VerifyRecording(const std::string& path, const Ed25519PublicKey* trusted);

// After a writer died: drops a torn tail and seals the intact chunks, marked recovered.
// A file that verifies already is left unchanged.
Result<VerifyReport> RecoverRecording(const std::string& path, const Ed25519PrivateKey& key);

class RecordingReader {
 public:
  // Uses the trailer index when the file is sealed, else scans the records.
  static Result<std::unique_ptr<RecordingReader>> Open(const std::string& path,
                                                       std::optional<Secret> aead_key = std::nullopt);
  ~RecordingReader();
  const Header& header() const { return header_; }
  const std::vector<IndexEntry>& index() const { return index_; }
  // The chunk covering `ms` (relative to start), or the last one before it.
  std::size_t FindChunk(std::int64_t ms) const;
  // The decrypted payload of chunk i, after checking its hash and position.
  Result<std::vector<std::uint8_t>> ReadChunk(std::size_t i, ChunkStats* stats = nullptr) const;

 private:
  RecordingReader() = default;
  int fd_ = -1;
  Header header_;
  Sha256Digest header_hash_{};
  std::optional<Secret> aead_key_;
  std::vector<IndexEntry> index_;
};

}  // namespace safedesk::recording
