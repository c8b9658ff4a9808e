#pragma once
// Helpers shared by the audit log tests: deterministic keys, writing a log, editing its
// lines as an attacker would (with or without the signing key).

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/audit_events.h"
#include "common/audit_log.h"
#include "common/audit_record.h"
#include "common/audit_verify.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/encoding.h"
#include "common/random.h"

namespace safedesk::testing {

inline Ed25519PrivateKey TestKey(std::uint64_t seed) {
  SeededRandom random(seed);
  auto key = Ed25519PrivateKey::Generate(random);
  EXPECT_TRUE(key.ok());
  return std::move(key).value();
}

// Opens (or continues) a log at `path` and appends `count` login events.
inline std::unique_ptr<AuditLog> OpenAndAppend(const std::filesystem::path& path, Clock& clock,
                                               int count, std::int64_t checkpoint_every = 10,
                                               std::uint64_t key_seed = 1) {
  AuditLogOptions options;
  options.checkpoint_every = checkpoint_every;
  auto log = AuditLog::Open(path, TestKey(key_seed), options, clock);
  EXPECT_TRUE(log.ok()) << (log.ok() ? "" : log.error().message);
  if (!log.ok()) return nullptr;
  for (int i = 0; i < count; ++i) {
    EXPECT_TRUE((*log)->Append(audit::LoginSuccess("user" + std::to_string(i), "10.8.0.2", "password+totp")).ok());
  }
  return std::move(log).value();
}

// A closed log of `count` events plus the log's own records.
inline void WriteClosedLog(const std::filesystem::path& path, int count, std::int64_t checkpoint_every = 10) {
  ManualClock clock;
  auto log = OpenAndAppend(path, clock, count, checkpoint_every);
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->Close().ok());
}

inline std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

inline void WriteAll(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

inline std::vector<std::string> ReadLines(const std::filesystem::path& path) {
  std::vector<std::string> lines;
  std::ifstream in(path, std::ios::binary);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

inline void WriteLines(const std::filesystem::path& path, const std::vector<std::string>& lines) {
  std::string bytes;
  for (const auto& line : lines) bytes += line + "\n";
  WriteAll(path, bytes);
}

// What a forger does: renumber, re-chain and (with a key) re-sign every record.
inline std::vector<std::string> Rehash(const std::vector<std::string>& lines, const Ed25519PrivateKey* key) {
  std::vector<std::string> out;
  std::string prev(kAuditGenesisPrev);
  std::uint64_t seq = 1;
  for (const auto& line : lines) {
    auto record = ParseAuditRecord(line);
    EXPECT_TRUE(record.ok()) << line;
    record->seq = seq++;
    record->prev = prev;
    if (key != nullptr && IsSignedAuditType(record->type)) {
      auto& fields = record->data;
      fields[fields.size() - 2].value = AuditKeyFingerprint(key->public_key());
      fields.back().value = Base64UrlEncode(key->Sign(AsBytes(AuditSignedMessage(*record))));
    }
    out.push_back(SerializeAuditRecord(*record));
    prev = HashAuditLine(out.back());
  }
  return out;
}

inline AuditVerifyReport Verify(const std::filesystem::path& path, bool live = false,
                                std::uint64_t key_seed = 1) {
  AuditVerifyOptions options;
  options.trusted_keys.push_back(TestKey(key_seed).public_key());
  options.live = live;
  auto report = VerifyAuditLog(path, options);
  EXPECT_TRUE(report.ok()) << (report.ok() ? "" : report.error().message);
  return report.ok() ? *report : AuditVerifyReport{};
}

}  // namespace safedesk::testing
