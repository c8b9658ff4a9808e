#pragma once
// The session-recording container: header, hash-chained chunks, index, seal.
// Spec: common/RECORDING_FORMAT.md. The chunk payload (frames, input) is opaque here;
// recording/frame_codec.h defines it.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/crypto.h"
#include "common/result.h"

namespace safedesk::recording {

inline constexpr std::array<std::uint8_t, 8> kMagic = {'S', 'D', 'R', 'E', 'C', '\r', '\n', 0};
inline constexpr std::uint16_t kVersion = 1;
inline constexpr std::uint16_t kFlagEncrypted = 1;
// Caps on lengths read from a file (a reader must not allocate what a forger asks for).
inline constexpr std::size_t kMaxHeaderBytes = 4096;           // ids and a key id
inline constexpr std::size_t kMaxRecordBytes = 256u << 20;     // one chunk: 256 MiB
inline constexpr std::size_t kMaxSessionIdBytes = 256;

enum class RecordType : std::uint8_t { kChunk = 'C', kIndex = 'I', kSeal = 'S' };

struct Header {
  std::uint16_t flags = 0;
  std::string session_id;
  std::array<std::uint8_t, 16> recording_id{};
  std::int64_t start_unix_ms = 0;
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::string key_id;  // names the AES key when encrypted; empty otherwise
  bool encrypted() const { return (flags & kFlagEncrypted) != 0; }
};

struct ChunkStats {
  std::int64_t start_ms = 0;  // relative to the header's start
  std::int64_t end_ms = 0;
  std::uint32_t frame_count = 0;
  std::uint64_t pixel_area = 0;   // sum over frames of width*height
  std::uint64_t masked_area = 0;  // sum over frames of masked pixels
};

struct Chunk {
  std::uint32_t index = 0;
  ChunkStats stats;
  Sha256Digest prev_hash{};
  std::array<std::uint8_t, kAeadNonceSize> nonce{};  // zero when not encrypted
  std::vector<std::uint8_t> payload;                 // sealed when encrypted
  Sha256Digest hash{};
};

struct IndexEntry {
  std::uint64_t offset = 0;  // of the chunk's record type byte
  std::int64_t start_ms = 0;
  std::int64_t end_ms = 0;
};

struct Seal {
  std::array<std::uint8_t, 16> recording_id{};
  Sha256Digest header_hash{};
  Sha256Digest final_hash{};
  std::uint32_t chunk_count = 0;
  std::int64_t duration_ms = 0;
  Sha256Digest index_hash{};
  std::uint8_t recovered = 0;  // 1: sealed by recovery after the writer died
  std::array<std::uint8_t, 32> public_key{};
  Ed25519Signature signature{};
};

std::vector<std::uint8_t> EncodeHeader(const Header& header);  // magic .. end of header
Result<Header> DecodeHeaderBody(std::span<const std::uint8_t> body);
Sha256Digest ChunkHash(const Sha256Digest& header_hash, const Chunk& chunk);
std::vector<std::uint8_t> EncodeChunkBody(const Chunk& chunk);
Result<Chunk> DecodeChunkBody(std::span<const std::uint8_t> body);
std::vector<std::uint8_t> EncodeIndexBody(const std::vector<IndexEntry>& index);
Result<std::vector<IndexEntry>> DecodeIndexBody(std::span<const std::uint8_t> body);
std::vector<std::uint8_t> SealMessage(const Seal& seal);  // what the signature covers
std::vector<std::uint8_t> EncodeSealBody(const Seal& seal);
Result<Seal> DecodeSealBody(std::span<const std::uint8_t> body);
// Record framing: type byte, u32 LE body length, body.
std::vector<std::uint8_t> FrameRecord(RecordType type, std::span<const std::uint8_t> body);
// AAD of an encrypted chunk: header hash || chunk index (u32 LE).
std::vector<std::uint8_t> ChunkAad(const Sha256Digest& header_hash, std::uint32_t index);

}  // namespace safedesk::recording
