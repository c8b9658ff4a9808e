#include "common/audit_verify.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "common/encoding.h"

namespace safedesk {
namespace {

// Reads a file line by line, never buffering more than kMaxAuditLineBytes of one line.
class LineReader {
 public:
  enum class Status { kLine, kEnd, kTorn, kTooLong };

  explicit LineReader(const std::filesystem::path& path)
      : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)), path_(path) {}
  ~LineReader() {
    if (fd_ >= 0) ::close(fd_);
  }
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  Result<void> status() const {
    if (fd_ < 0) return MakeError(Errc::kIo, fmt::format("{}: cannot open: {}", path_.string(), std::strerror(open_errno_)));
    return Ok();
  }

  // On kLine, `line` holds the line without '\n'; on kTorn, the bytes after the last '\n'.
  Result<Status> Next(std::string& line) {
    line.clear();
    for (;;) {
      const std::size_t newline = buffer_.find('\n', start_);
      if (newline != std::string::npos) {
        line.assign(buffer_, start_, newline - start_);
        start_ = newline + 1;
        return line.size() > kMaxAuditLineBytes ? Status::kTooLong : Status::kLine;
      }
      if (buffer_.size() - start_ > kMaxAuditLineBytes) return Status::kTooLong;
      auto more = Fill();
      if (!more) return more.error();
      if (!*more) {
        line.assign(buffer_, start_);
        start_ = buffer_.size();
        return line.empty() ? Status::kEnd : Status::kTorn;
      }
    }
  }

 private:
  // Appends one read's worth to the buffer; false at end of file.
  Result<bool> Fill() {
    buffer_.erase(0, start_);
    start_ = 0;
    char block[64 * 1024];
    for (;;) {
      const ssize_t n = ::read(fd_, block, sizeof block);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return MakeError(Errc::kIo, fmt::format("{}: cannot read: {}", path_.string(), std::strerror(errno)));
      buffer_.append(block, static_cast<std::size_t>(n));
      return n > 0;
    }
  }

  int fd_;
  int open_errno_ = errno;
  std::filesystem::path path_;
  std::string buffer_;
  std::size_t start_ = 0;
};

// The seq of a line without parsing it: canonical lines all start with {"seq":N,
std::optional<std::uint64_t> PeekSeq(std::string_view line) {
  constexpr std::string_view kPrefix = "{\"seq\":";
  if (!line.starts_with(kPrefix)) return std::nullopt;
  std::uint64_t seq = 0;
  const char* begin = line.data() + kPrefix.size();
  const auto [end, ec] = std::from_chars(begin, line.data() + line.size(), seq);
  if (ec != std::errc() || end == begin) return std::nullopt;
  return seq;
}

// Whether `seq` appears on a later line: tells a swap (reordered) from a deletion (removed).
bool SeqAppearsLater(const std::filesystem::path& path, std::uint64_t after_line, std::uint64_t seq) {
  LineReader reader(path);
  if (!reader.status()) return false;
  std::string line;
  for (std::uint64_t number = 1;; ++number) {
    auto status = reader.Next(line);
    if (!status || *status == LineReader::Status::kEnd) return false;
    if (number > after_line && PeekSeq(line) == seq) return true;
  }
}

struct Break {
  AuditBreak reason;
  std::string detail;
};

// The checks of one pass over a file, in order: a record's own form, its place in the
// sequence, its link to the previous line, its signature, then the checkpoint cadence.
class Verifier {
 public:
  Verifier(const std::filesystem::path& path, const AuditVerifyOptions& options)
      : path_(path), options_(options) {}

  Result<AuditVerifyReport> Run();

 private:
  std::optional<Break> CheckLine(std::string_view line, std::optional<AuditRecord>& parsed);
  std::optional<Break> CheckSequence(const AuditRecord& record) const;
  std::optional<Break> CheckRunStructure(const AuditRecord& record) const;
  std::optional<Break> CheckSignature(const AuditRecord& record) const;
  std::optional<Break> CheckRunStart(const AuditRecord& record);
  std::optional<Break> CheckEnd() const;
  void Accept(const AuditRecord& record, std::string hash);
  AuditVerifyReport Broken(Break b, std::optional<std::uint64_t> seq);

  const std::filesystem::path& path_;
  const AuditVerifyOptions& options_;
  AuditVerifyReport report_;
  std::uint64_t line_number_ = 0;
  std::string last_hash_{kAuditGenesisPrev};
  bool after_closing_ = false;
  std::int64_t interval_ = 0;        // checkpoint_every of the current run
  std::int64_t unsigned_count_ = 0;  // records since the last signed one
};

Result<AuditVerifyReport> Verifier::Run() {
  LineReader reader(path_);
  SAFEDESK_TRY(reader.status());
  std::string line;
  for (;;) {
    auto status = reader.Next(line);
    if (!status) return status.error();
    if (*status == LineReader::Status::kEnd) break;
    ++line_number_;
    if (*status == LineReader::Status::kTooLong) {
      return Broken({AuditBreak::kMalformed, fmt::format("line exceeds the {}-byte cap", kMaxAuditLineBytes)},
                    PeekSeq(line));
    }
    if (*status == LineReader::Status::kTorn) {
      if (options_.live) {
        report_.torn_tail_bytes = line.size();
        break;
      }
      return Broken({AuditBreak::kTornLine,
                     fmt::format("last {} bytes are an incomplete line (no newline)", line.size())},
                    PeekSeq(line));
    }
    std::optional<AuditRecord> record;
    if (auto broken = CheckLine(line, record)) {
      return Broken(std::move(*broken), record ? std::optional(record->seq) : PeekSeq(line));
    }
    Accept(*record, HashAuditLine(line));
  }
  if (auto broken = CheckEnd()) {
    return Broken(std::move(*broken), report_.records > 0 ? std::optional(report_.last_seq) : std::nullopt);
  }
  report_.ok = true;
  return report_;
}

std::optional<Break> Verifier::CheckLine(std::string_view line, std::optional<AuditRecord>& parsed) {
  auto record = ParseAuditRecord(line);
  if (!record) {
    const bool edited = record.error().code == Errc::kCorrupt;
    return Break{edited ? AuditBreak::kEdited : AuditBreak::kMalformed, record.error().message};
  }
  parsed = std::move(*record);
  if (auto broken = CheckSequence(*parsed)) return broken;
  if (parsed->prev != last_hash_) {
    return Break{AuditBreak::kEdited,
                 fmt::format("prev does not match the SHA-256 of line {}: that line or this one was changed",
                             line_number_ - 1)};
  }
  if (auto broken = CheckRunStructure(*parsed)) return broken;
  if (IsSignedAuditType(parsed->type)) {
    if (auto broken = CheckSignature(*parsed)) return broken;
  }
  return CheckRunStart(*parsed);
}

std::optional<Break> Verifier::CheckSequence(const AuditRecord& record) const {
  const std::uint64_t expected = report_.last_seq + 1;
  if (record.seq == expected) return std::nullopt;
  if (record.seq < expected) {
    return Break{AuditBreak::kReordered, fmt::format("seq {} after seq {}", record.seq, report_.last_seq)};
  }
  if (SeqAppearsLater(path_, line_number_, expected)) {
    return Break{AuditBreak::kReordered,
                 fmt::format("expected seq {}, which appears further down", expected)};
  }
  return Break{AuditBreak::kRemoved,
               fmt::format("expected seq {}; {} record(s) missing", expected, record.seq - expected)};
}

// Runs begin with audit.opened (new file, or after a closing checkpoint) or audit.recovered
// (after a run that did not close); nothing else may follow a closing checkpoint.
std::optional<Break> Verifier::CheckRunStructure(const AuditRecord& record) const {
  const bool first = report_.records == 0;
  if ((first || after_closing_) && record.type != kAuditTypeOpened) {
    return Break{AuditBreak::kMalformed,
                 fmt::format("{} where a run must begin with {}", record.type,
                             first ? "audit.opened (first record)" : "audit.opened (after a closing checkpoint)")};
  }
  if (!first && !after_closing_ && record.type == kAuditTypeOpened) {
    return Break{AuditBreak::kMalformed, "audit.opened after a run that did not close (expected audit.recovered)"};
  }
  if (!IsSignedAuditType(record.type) && unsigned_count_ >= interval_) {
    return Break{AuditBreak::kMissingCheckpoint,
                 fmt::format("{} records since the last signed record; the run promised one every {}",
                             unsigned_count_ + 1, interval_)};
  }
  return std::nullopt;
}

std::optional<Break> Verifier::CheckSignature(const AuditRecord& record) const {
  const auto n = record.data.size();
  if (n < 2 || record.data[n - 2].key != "key" || record.data[n - 1].key != "sig" ||
      !std::holds_alternative<std::string>(record.data[n - 2].value) ||
      !std::holds_alternative<std::string>(record.data[n - 1].value)) {
    return Break{AuditBreak::kBadCheckpointSignature, record.type + " lacks its \"key\" and \"sig\" fields"};
  }
  const auto& fingerprint = std::get<std::string>(record.data[n - 2].value);
  const Ed25519PublicKey* key = nullptr;
  for (const auto& candidate : options_.trusted_keys) {
    if (AuditKeyFingerprint(candidate) == fingerprint) key = &candidate;
  }
  if (key == nullptr) {
    return Break{AuditBreak::kBadCheckpointSignature,
                 fmt::format("signed by key {} which is not trusted", fingerprint.substr(0, 16))};
  }
  const auto signature = Base64UrlDecode(std::get<std::string>(record.data[n - 1].value));
  if (!signature || !key->Verify(AsBytes(AuditSignedMessage(record)), *signature)) {
    return Break{AuditBreak::kBadCheckpointSignature, "signature does not verify"};
  }
  return std::nullopt;
}

std::optional<Break> Verifier::CheckRunStart(const AuditRecord& record) {
  if (record.type != kAuditTypeOpened && record.type != kAuditTypeRecovered) return std::nullopt;
  const AuditValue* format = record.Find("format");
  const AuditValue* every = record.Find("checkpoint_every");
  if (format == nullptr || *format != AuditValue(kAuditFormatVersion)) {
    return Break{AuditBreak::kMalformed, "unsupported or missing format version"};
  }
  if (every == nullptr || !std::holds_alternative<std::int64_t>(*every) ||
      std::get<std::int64_t>(*every) < 1) {
    return Break{AuditBreak::kMalformed, "missing or invalid checkpoint_every"};
  }
  interval_ = std::get<std::int64_t>(*every);
  return std::nullopt;
}

std::optional<Break> Verifier::CheckEnd() const {
  if (report_.records == 0) {
    if (options_.live) return std::nullopt;
    return Break{AuditBreak::kTruncated, "no records"};
  }
  if (!report_.closed && !options_.live) {
    return Break{AuditBreak::kTruncated,
                 fmt::format("last record (seq {}) is not a closing checkpoint: cut, or not closed yet "
                             "(--live checks a log being written)",
                             report_.last_seq)};
  }
  return std::nullopt;
}

void Verifier::Accept(const AuditRecord& record, std::string hash) {
  if (report_.records == 0) report_.first_seq = record.seq;
  ++report_.records;
  report_.last_seq = record.seq;
  last_hash_ = std::move(hash);
  const bool is_checkpoint = record.type == kAuditTypeCheckpoint;
  if (is_checkpoint) ++report_.checkpoints;
  unsigned_count_ = IsSignedAuditType(record.type) ? 0 : unsigned_count_ + 1;
  const AuditValue* final = record.Find("final");
  after_closing_ = is_checkpoint && final != nullptr && *final == AuditValue(true);
  report_.closed = after_closing_;
  if (options_.on_record) options_.on_record(record);
}

AuditVerifyReport Verifier::Broken(Break b, std::optional<std::uint64_t> seq) {
  report_.ok = false;
  report_.reason = b.reason;
  report_.detail = std::move(b.detail);
  report_.line = line_number_;
  report_.seq = seq;
  return report_;
}

}  // namespace

std::string_view AuditBreakName(AuditBreak reason) {
  switch (reason) {
    case AuditBreak::kEdited: return "edited";
    case AuditBreak::kRemoved: return "removed";
    case AuditBreak::kReordered: return "reordered";
    case AuditBreak::kTruncated: return "truncated";
    case AuditBreak::kBadCheckpointSignature: return "bad_checkpoint_signature";
    case AuditBreak::kMissingCheckpoint: return "missing_checkpoint";
    case AuditBreak::kTornLine: return "torn_line";
    case AuditBreak::kMalformed: return "malformed";
  }
  return "unknown";
}

Result<AuditVerifyReport> VerifyAuditLog(const std::filesystem::path& path,
                                         const AuditVerifyOptions& options) {
  if (options.trusted_keys.empty()) {
    return MakeError(Errc::kInvalidArgument, "no trusted public key to check signatures with");
  }
  Verifier verifier(path, options);
  return verifier.Run();
}

std::string FormatAuditVerifyReport(const AuditVerifyReport& report) {
  if (report.ok) {
    std::string text = fmt::format("OK: {} records, {} checkpoints, first seq {}, last seq {}, {}",
                                   report.records, report.checkpoints, report.first_seq,
                                   report.last_seq, report.closed ? "closed" : "live");
    if (report.torn_tail_bytes > 0) {
      text += fmt::format(", incomplete last line of {} bytes", report.torn_tail_bytes);
    }
    return text;
  }
  const std::string seq = report.seq ? std::to_string(*report.seq) : std::string("?");
  return fmt::format("BROKEN at line {} (seq {}): {}: {}", report.line, seq,
                     AuditBreakName(report.reason), report.detail);
}

}  // namespace safedesk
