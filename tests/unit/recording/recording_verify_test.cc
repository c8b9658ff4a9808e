// Tamper detection of the recording container (common/RECORDING_FORMAT.md).
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "common/random.h"
#include "common/recording_reader.h"
#include "common/recording_writer.h"
#include "tests/testing/test_support.h"

namespace safedesk::recording {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}
void WriteAll(const std::string& path, const Bytes& b) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

class RecordingVerifyTest : public ::testing::Test {
 protected:
  Ed25519PrivateKey Key(std::uint8_t seed_byte) {
    std::array<std::uint8_t, 32> seed{};
    seed.fill(seed_byte);
    return Ed25519PrivateKey::FromSeed(seed).value();
  }
  std::string Make(const std::string& name, std::uint8_t id_byte, int chunks = 4) {
    SeededRandom random(id_byte);
    Header h;
    h.session_id = "sess-" + name;
    h.recording_id.fill(id_byte);
    h.start_unix_ms = 1'700'000'000'000;
    h.width = 64;
    h.height = 32;
    std::string path = (dir_.path() / name).string();
    auto w = RecordingWriter::Create(path, h, Key(7), std::nullopt, random);
    EXPECT_TRUE(w.ok());
    for (int i = 0; i < chunks; ++i) {
      ChunkStats s{i * 4000, i * 4000 + 3999, 10, 10 * 64 * 32, 100};
      Bytes payload(100 + i, static_cast<std::uint8_t>(i));
      EXPECT_TRUE((*w)->AppendChunk(s, payload).ok());
    }
    EXPECT_TRUE((*w)->Seal(chunks * 4000).ok());
    return path;
  }
  VerifyReport Verify(const std::string& path) {
    Ed25519PrivateKey k = Key(7);
    return VerifyRecording(path, &k.public_key());
  }
  testing::TempDir dir_;
};

TEST_F(RecordingVerifyTest, IntactRecordingVerifies) {
  VerifyReport r = Verify(Make("a", 1));
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.status, "sealed");
  EXPECT_EQ(r.chunks_ok, 4u);
  EXPECT_EQ(r.frames, 40u);
  EXPECT_EQ(r.duration_ms, 16000);
}

TEST_F(RecordingVerifyTest, ChangedByteInChunkIsDetected) {
  std::string path = Make("a", 1);
  VerifyReport good = Verify(path);
  Bytes b = ReadAll(path);
  b[good.scanned_index[2].offset + 120] ^= 0x01;  // inside chunk 2's payload
  WriteAll(path, b);
  VerifyReport r = Verify(path);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.broken_chunk, 2);
  EXPECT_NE(r.problem.find("hash mismatch"), std::string::npos) << r.problem;
}

TEST_F(RecordingVerifyTest, DroppedChunkIsDetected) {
  std::string path = Make("a", 1);
  VerifyReport good = Verify(path);
  Bytes b = ReadAll(path);
  b.erase(b.begin() + static_cast<long>(good.scanned_index[1].offset),
          b.begin() + static_cast<long>(good.scanned_index[2].offset));
  WriteAll(path, b);
  VerifyReport r = Verify(path);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.broken_chunk, 1);
}

TEST_F(RecordingVerifyTest, SwappedChunksAreDetected) {
  std::string path = Make("a", 1);
  VerifyReport good = Verify(path);
  Bytes b = ReadAll(path);
  auto at = [&](int i) { return b.begin() + static_cast<long>(good.scanned_index[i].offset); };
  Bytes c1(at(1), at(2)), c2(at(2), at(3));
  Bytes out(b.begin(), at(1));
  out.insert(out.end(), c2.begin(), c2.end());
  out.insert(out.end(), c1.begin(), c1.end());
  out.insert(out.end(), at(3), b.end());
  WriteAll(path, out);
  VerifyReport r = Verify(path);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.broken_chunk, 1);
}

TEST_F(RecordingVerifyTest, TruncatedFileIsDetected) {
  std::string path = Make("a", 1);
  Bytes b = ReadAll(path);
  b.resize(b.size() - 300);  // into the last chunk
  WriteAll(path, b);
  VerifyReport r = Verify(path);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("truncated"), std::string::npos) << r.problem;
}

TEST_F(RecordingVerifyTest, ForgedSealIsDetected) {
  std::string path = Make("a", 1);
  Bytes b = ReadAll(path);
  b[b.size() - 10] ^= 0x40;  // inside the signature
  WriteAll(path, b);
  VerifyReport r = Verify(path);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.problem, "seal signature invalid");
}

TEST_F(RecordingVerifyTest, SealByUntrustedKeyIsDetected) {
  std::string path = Make("a", 1);
  Ed25519PrivateKey other = Key(9);
  VerifyReport r = VerifyRecording(path, &other.public_key());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.problem, "seal signed by an untrusted key");
}

TEST_F(RecordingVerifyTest, SealFromAnotherRecordingIsDetected) {
  std::string a = Make("a", 1);
  std::string b = Make("b", 2);
  VerifyReport ra = Verify(a);
  VerifyReport rb = Verify(b);
  Bytes ba = ReadAll(a), bb = ReadAll(b);
  Bytes out(ba.begin(), ba.begin() + static_cast<long>(ra.valid_end));
  out.insert(out.end(), bb.begin() + static_cast<long>(rb.valid_end), bb.end());
  WriteAll(a, out);
  VerifyReport r = Verify(a);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.problem, "seal belongs to another recording");
}

TEST_F(RecordingVerifyTest, UnsealedRecordingIsReportedAndRecovered) {
  std::string path = Make("a", 1);
  VerifyReport good = Verify(path);
  Bytes b = ReadAll(path);
  b.resize(good.valid_end + 7);  // a torn record after the last whole chunk
  WriteAll(path, b);
  VerifyReport torn = Verify(path);
  EXPECT_FALSE(torn.ok);
  EXPECT_EQ(torn.chunks_ok, 4u);
  Ed25519PrivateKey k = Key(7);
  auto rec = RecoverRecording(path, k);
  ASSERT_TRUE(rec.ok()) << rec.error().message;
  EXPECT_TRUE(rec->ok) << rec->problem;
  EXPECT_EQ(rec->status, "recovered");
  EXPECT_EQ(rec->chunks_ok, 4u);
}

TEST_F(RecordingVerifyTest, ReaderSeeksThroughTheTrailerIndex) {
  std::string path = Make("a", 1, 10);
  auto rd = RecordingReader::Open(path);
  ASSERT_TRUE(rd.ok());
  ASSERT_EQ((*rd)->index().size(), 10u);
  std::size_t i = (*rd)->FindChunk(17'500);
  EXPECT_EQ(i, 4u);
  auto payload = (*rd)->ReadChunk(i);
  ASSERT_TRUE(payload.ok());
  EXPECT_EQ(payload->size(), 104u);
}

TEST_F(RecordingVerifyTest, EncryptedChunksRoundTrip) {
  SeededRandom random(3);
  Header h;
  h.flags = kFlagEncrypted;
  h.key_id = "k1";
  h.width = 8;
  h.height = 8;
  std::string path = (dir_.path() / "enc").string();
  Bytes key_bytes(32, 0x11);
  auto w = RecordingWriter::Create(path, h, Key(7), Secret(key_bytes), random);
  ASSERT_TRUE(w.ok()) << w.error().message;
  Bytes secret_payload = {'p', 'a', 's', 's', 'w', 'o', 'r', 'd'};
  ASSERT_TRUE((*w)->AppendChunk(ChunkStats{0, 10, 1, 64, 0}, secret_payload).ok());
  ASSERT_TRUE((*w)->Seal(10).ok());
  Bytes file = ReadAll(path);
  EXPECT_EQ(std::search(file.begin(), file.end(), secret_payload.begin(), secret_payload.end()), file.end());
  EXPECT_TRUE(Verify(path).ok);
  auto rd = RecordingReader::Open(path, Secret(key_bytes));
  ASSERT_TRUE(rd.ok());
  auto got = (*rd)->ReadChunk(0);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, secret_payload);
}

}  // namespace
}  // namespace safedesk::recording
