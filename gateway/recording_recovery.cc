#include "gateway/recording_recovery.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <system_error>

#include "common/log.h"
#include "common/recording_reader.h"

namespace safedesk::gateway {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kRecordHead = 5;         // type byte + u32 length
constexpr std::uint32_t kSealBodyBytes = 221;  // the 226-byte seal record less its head
constexpr std::size_t kMaxProblemBytes = 300;  // of a reason the broker stores and audits

fs::path WithSuffix(const fs::path& file, const char* suffix) { return fs::path(file.string() + suffix); }

// Whether the file's last record is a seal. A cheap look at the tail: a start must not
// read every recording ever written; verifying a seal is the auditor's tool's work.
bool EndsInSeal(const fs::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  std::array<std::uint8_t, kRecordHead> head{};
  bool sealed = false;
  if (::fstat(fd, &st) == 0 && st.st_size >= static_cast<off_t>(kRecordHead + kSealBodyBytes)) {
    const off_t at = st.st_size - static_cast<off_t>(kRecordHead + kSealBodyBytes);
    if (::pread(fd, head.data(), head.size(), at) == static_cast<ssize_t>(head.size())) {
      const std::uint32_t length = std::uint32_t(head[1]) | std::uint32_t(head[2]) << 8 |
                                   std::uint32_t(head[3]) << 16 | std::uint32_t(head[4]) << 24;
      sealed = head[0] == 'S' && length == kSealBodyBytes;
    }
  }
  ::close(fd);
  return sealed;
}

// Writes `text` to `file` durably (the marker must outlive the next crash too).
bool WriteMarker(const fs::path& file, const std::string& text) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  const int dir = ::open(file.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return ok;
}

// Only what a dying writer leaves may be cut: no seal yet, or a last record that runs
// past the end of the file. A chunk that fails its hash in the middle is evidence of a
// change, not of a crash: the file stays as it is.
bool SafeToCut(const recording::VerifyReport& report) {
  if (report.valid_end == 0) return false;  // no readable header: nothing to seal
  return report.status == "unsealed" || report.problem.rfind("truncated record", 0) == 0;
}

std::string Truncated(std::string text) {
  if (text.size() > kMaxProblemBytes) text.resize(kMaxProblemBytes);
  return text;
}

// One recording that did not end in a seal: seal it if that is safe, else mark it.
CrashedRecording Recover(const fs::path& file, const Ed25519PrivateKey& seal_key) {
  const recording::VerifyReport report = recording::VerifyRecording(file.string(), &seal_key.public_key());
  CrashedRecording crashed;
  crashed.file = file;
  crashed.session_id = report.valid_end > 0 ? report.header.session_id : file.stem().string();
  crashed.chunks = report.chunks_ok;
  if (report.ok) {  // sealed before the crash; only the report is owed
    crashed.recovered = true;
    return crashed;
  }
  if (!WriteMarker(WithSuffix(file, kCrashReportSuffix), "")) {
    log::Main()->error("recording {}: cannot write its crash marker; reporting it from memory only", file.string());
  }
  if (SafeToCut(report)) {
    auto sealed = recording::RecoverRecording(file.string(), seal_key);
    if (sealed && sealed->ok) {
      crashed.recovered = true;
      crashed.chunks = sealed->chunks_ok;
      log::Main()->warn("recording {}: left unsealed by a crash; {} chunks sealed as recovered", file.string(),
                        crashed.chunks);
      return crashed;
    }
    crashed.problem = sealed ? sealed->problem : sealed.error().message;
  } else {
    crashed.problem = report.problem;
  }
  crashed.problem = Truncated("recovery refused: " + crashed.problem);
  if (!WriteMarker(WithSuffix(file, kUnsealableSuffix), crashed.problem + "\n")) {
    log::Main()->error("recording {}: cannot write its unsealable marker", file.string());
  }
  log::Main()->error("recording {}: left unsealed by a crash and cannot be sealed: {}", file.string(), crashed.problem);
  return crashed;
}

}  // namespace

std::string CrashedRecording::EndReason() const {
  if (recovered) return std::string(kGatewayCrashed) + ": recording recovered, " + std::to_string(chunks) + " chunks sealed";
  return std::string(kGatewayCrashed) + ": recording unsealed: " + problem;
}

std::vector<CrashedRecording> RecoverCrashedRecordings(const fs::path& directory, const Ed25519PrivateKey& seal_key) {
  std::vector<CrashedRecording> owed;
  std::error_code ec;
  fs::directory_iterator it(directory, ec);
  if (ec) {
    if (ec != std::errc::no_such_file_or_directory) {
      log::Main()->error("recording directory {}: cannot list it for crash recovery: {}", directory.string(), ec.message());
    }
    return owed;
  }
  for (const fs::directory_entry& entry : it) {
    const fs::path& file = entry.path();
    if (file.extension() != ".sdrec" || !entry.is_regular_file(ec)) continue;
    const bool owes_report = fs::exists(WithSuffix(file, kCrashReportSuffix), ec);
    const bool unsealable = fs::exists(WithSuffix(file, kUnsealableSuffix), ec);
    if (!owes_report && (unsealable || EndsInSeal(file))) continue;
    if (owes_report && unsealable) {  // marked at an earlier start; the report is still owed
      CrashedRecording crashed;
      crashed.file = file;
      const recording::VerifyReport report = recording::VerifyRecording(file.string(), &seal_key.public_key());
      crashed.session_id = report.valid_end > 0 ? report.header.session_id : file.stem().string();
      crashed.chunks = report.chunks_ok;
      crashed.problem = Truncated("recovery refused: " + report.problem);
      owed.push_back(std::move(crashed));
      continue;
    }
    owed.push_back(Recover(file, seal_key));
  }
  return owed;
}

void MarkCrashReported(const CrashedRecording& crashed) {
  std::error_code ec;
  fs::remove(WithSuffix(crashed.file, kCrashReportSuffix), ec);
  if (ec) log::Main()->warn("recording {}: cannot remove its crash marker: {}", crashed.file.string(), ec.message());
}

}  // namespace safedesk::gateway
