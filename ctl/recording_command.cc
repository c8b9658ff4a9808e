#include "ctl/recording_command.h"

#include <cstdio>
#include <optional>

#include "common/recording_reader.h"
#include "config/cli.h"

namespace safedesk::ctl {
namespace {

using config::kExitOk;
using config::kExitUsage;
constexpr int kExitBroken = 1;

void PrintHelp(std::ostream& out) {
  out << "Usage: safedeskctl recording verify [--public-key FILE] FILE\n"
      << "       safedeskctl recording recover FILE\n";
}

std::string Summary(const recording::VerifyReport& r) {
  char share[32];
  std::snprintf(share, sizeof share, "%.1f%%", 100.0 * r.masked_share());
  const std::int64_t s = r.duration_ms / 1000;
  char duration[32];
  std::snprintf(duration, sizeof duration, "%lld:%02lld:%02lld.%03lld", static_cast<long long>(s / 3600),
                static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60),
                static_cast<long long>(r.duration_ms % 1000));
  return "session " + r.header.session_id + ", duration " + duration + ", " + std::to_string(r.frames) +
         " frames, " + std::to_string(r.chunks_ok) + " chunks, masked " + share;
}

int Report(const recording::VerifyReport& r, std::ostream& out) {
  if (r.ok) {
    out << "OK (" << r.status << "): " << Summary(r) << "\n";
    return kExitOk;
  }
  if (r.status == "unsealed") {
    out << "UNSEALED: " << r.chunks_ok << " intact chunks, no seal (" << r.problem << "); " << Summary(r) << "\n";
  } else if (r.broken_chunk >= 0) {
    out << "BROKEN at chunk " << r.broken_chunk << ": " << r.problem << " (" << r.chunks_ok
        << " chunks before it verify)\n";
  } else {
    out << "BROKEN: " << r.problem << " (" << r.chunks_ok << " chunks verify)\n";
  }
  return kExitBroken;
}

std::optional<Ed25519PrivateKey> SealKey(const config::Config& config, std::ostream& err) {
  if (config.recording.seal_key_file.empty()) {
    err << "safedeskctl recording: set [recording] seal_key_file or pass --public-key FILE\n";
    return std::nullopt;
  }
  auto key = Ed25519PrivateKey::LoadPemFile(config.recording.seal_key_file.string());
  if (!key) {
    err << "safedeskctl recording: " << key.error().message << "\n";
    return std::nullopt;
  }
  return std::move(*key);
}

int RunVerify(const std::vector<std::string>& args, const config::Config& config, std::ostream& out,
              std::ostream& err) {
  std::optional<std::string> key_file, file;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--public-key" && i + 1 < args.size()) {
      key_file = args[++i];
    } else if (!args[i].starts_with("-") && !file) {
      file = args[i];
    } else {
      PrintHelp(err);
      return kExitUsage;
    }
  }
  if (!file) {
    PrintHelp(err);
    return kExitUsage;
  }
  std::optional<Ed25519PublicKey> trusted;
  if (key_file) {
    auto key = Ed25519PublicKey::LoadPemFile(*key_file);
    if (!key) {
      err << "safedeskctl recording verify: " << key.error().message << "\n";
      return kExitUsage;
    }
    trusted = *key;
  } else {
    auto key = SealKey(config, err);
    if (!key) return kExitUsage;
    trusted = key->public_key();
  }
  return Report(recording::VerifyRecording(*file, &*trusted), out);
}

int RunRecover(const std::vector<std::string>& args, const config::Config& config, std::ostream& out,
               std::ostream& err) {
  if (args.size() != 1) {
    PrintHelp(err);
    return kExitUsage;
  }
  auto key = SealKey(config, err);
  if (!key) return kExitUsage;
  auto r = recording::RecoverRecording(args[0], *key);
  if (!r) {
    out << "BROKEN: " << r.error().message << "\n";
    return kExitBroken;
  }
  return Report(*r, out);
}

}  // namespace

int RunRecordingCommand(const std::vector<std::string>& args, const config::Config& config, std::ostream& out,
                        std::ostream& err) {
  if (args.empty() || args[0] == "help") {
    PrintHelp(args.empty() ? err : out);
    return args.empty() ? kExitUsage : kExitOk;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "verify") return RunVerify(rest, config, out, err);
  if (args[0] == "recover") return RunRecover(rest, config, out, err);
  PrintHelp(err);
  return kExitUsage;
}

}  // namespace safedesk::ctl
