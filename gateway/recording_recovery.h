#pragma once
// What the gateway does at start with recordings a crash left behind (gateway/DESIGN.md,
// "After a crash"). A recording whose writer died (the gateway was killed, the host lost
// power) has whole chunks and perhaps a torn last record but no seal. The scan seals it
// (common/recording_reader.h RecoverRecording: the torn tail is cut, the seal says
// recovered = 1) or, when that is not safe or not possible, leaves it untouched and marks
// it unsealable. Either way the session's end is owed to the broker, which may never have
// heard it: a marker file beside the recording holds that debt until the broker accepts
// the report, so a gateway that dies again before reporting reports at its next start.

#include <filesystem>
#include <string>
#include <vector>

#include "common/crypto.h"

namespace safedesk::gateway {

// Marker suffixes, appended to the recording's file name.
inline constexpr const char* kCrashReportSuffix = ".crashed";    // the broker has not heard yet
inline constexpr const char* kUnsealableSuffix = ".unsealable";  // recovery refused; holds why
// The session-end reason the broker records for a session whose gateway died.
inline constexpr const char* kGatewayCrashed = "gateway_crashed";

struct CrashedRecording {
  std::filesystem::path file;
  std::string session_id;    // from the header, else the file name
  bool recovered = false;    // sealed by recovery (else unsealed, see `problem`)
  std::uint32_t chunks = 0;  // whole chunks that verify
  std::string problem;       // why it could not be sealed; empty when recovered
  // "gateway_crashed: recording recovered, N chunks sealed" or
  // "gateway_crashed: recording unsealed: <problem>"; what the broker audits.
  std::string EndReason() const;
};

// Seals what a crash left unsealed in `directory` and returns every recording whose end
// the broker still has to hear (those recovered now and those left from an earlier start).
// Recordings that end in a seal record are not read. Never throws; problems are logged.
std::vector<CrashedRecording> RecoverCrashedRecordings(const std::filesystem::path& directory,
                                                       const Ed25519PrivateKey& seal_key);

// After the broker accepted the report: the marker goes, the recording stays.
void MarkCrashReported(const CrashedRecording& crashed);

}  // namespace safedesk::gateway
