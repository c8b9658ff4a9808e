#include "ctl/audit_command.h"

#include <optional>
#include <string_view>

#include "common/audit_verify.h"
#include "common/crypto.h"

namespace safedesk::ctl {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitBroken = 1;  // the log failed verification
constexpr int kExitUsage = 2;   // bad arguments, or nothing could be checked

void PrintAuditHelp(std::ostream& out) {
  out << "Usage: safedeskctl audit COMMAND\n"
      << "Commands:\n"
      << "  verify [--live] [--public-key FILE]... [LOG]\n"
      << "      Check the hash chain and signed checkpoints of LOG (default: [audit] file).\n"
      << "      Keys: each --public-key (PEM), else the public half of [audit] signing_key.\n"
      << "      --live accepts a log still being written (no closing checkpoint yet).\n"
      << "      Exit 0: OK; 1: broken (first broken record is printed); 2: usage or I/O error.\n"
      << "  public-key\n"
      << "      Print the PEM public key of [audit] signing_key.\n"
      << "  help\n";
}

struct VerifyArgs {
  bool live = false;
  std::vector<std::string> public_keys;
  std::optional<std::string> log;
};

std::optional<VerifyArgs> ParseVerifyArgs(const std::vector<std::string>& args, std::ostream& err) {
  VerifyArgs parsed;
  bool options_done = false;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (!options_done && arg == "--") {
      options_done = true;
    } else if (!options_done && arg == "--live") {
      parsed.live = true;
    } else if (!options_done && arg == "--public-key" && i + 1 < args.size()) {
      parsed.public_keys.push_back(args[++i]);
    } else if (!options_done && arg.starts_with("--public-key=")) {
      parsed.public_keys.emplace_back(arg.substr(std::string_view("--public-key=").size()));
    } else if ((options_done || !arg.starts_with("-")) && !parsed.log) {
      parsed.log = std::string(arg);
    } else {
      err << "safedeskctl audit verify: unexpected argument \"" << arg << "\"\n";
      return std::nullopt;
    }
  }
  return parsed;
}

// The key named inside the log is never trusted: the verifier needs one from outside it.
Result<std::vector<Ed25519PublicKey>> TrustedKeys(const VerifyArgs& args, const config::Config& config) {
  std::vector<Ed25519PublicKey> keys;
  for (const auto& file : args.public_keys) {
    auto key = Ed25519PublicKey::LoadPemFile(file);
    if (!key) return key.error();
    keys.push_back(*key);
  }
  if (!keys.empty()) return keys;
  if (config.audit.signing_key.empty()) {
    return MakeError(Errc::kInvalidArgument,
                     "no key to check signatures with: pass --public-key FILE or set [audit] signing_key");
  }
  auto private_key = Ed25519PrivateKey::LoadPemFile(config.audit.signing_key.string());
  if (!private_key) return private_key.error();
  keys.push_back(private_key->public_key());
  return keys;
}

int RunVerify(const std::vector<std::string>& args, const config::Config& config, std::ostream& out,
              std::ostream& err) {
  const std::optional<VerifyArgs> parsed = ParseVerifyArgs(args, err);
  if (!parsed) return kExitUsage;
  auto keys = TrustedKeys(*parsed, config);
  if (!keys) {
    err << "safedeskctl audit verify: " << keys.error().message << "\n";
    return kExitUsage;
  }
  AuditVerifyOptions options;
  options.trusted_keys = std::move(*keys);
  options.live = parsed->live;
  const std::filesystem::path log = parsed->log ? std::filesystem::path(*parsed->log) : config.audit.file;
  auto report = VerifyAuditLog(log, options);
  if (!report) {
    err << "safedeskctl audit verify: " << report.error().message << "\n";
    return kExitUsage;
  }
  out << FormatAuditVerifyReport(*report) << "\n";
  return report->ok ? kExitOk : kExitBroken;
}

int RunPublicKey(const config::Config& config, std::ostream& out, std::ostream& err) {
  if (config.audit.signing_key.empty()) {
    err << "safedeskctl audit public-key: [audit] signing_key is not set\n";
    return kExitUsage;
  }
  auto key = Ed25519PrivateKey::LoadPemFile(config.audit.signing_key.string());
  if (!key) {
    err << "safedeskctl audit public-key: " << key.error().message << "\n";
    return kExitUsage;
  }
  out << key->public_key().ToPem();
  return kExitOk;
}

}  // namespace

int RunAuditCommand(const std::vector<std::string>& args, const safedesk::config::Config& config,
                    std::ostream& out, std::ostream& err) {
  const std::string_view command = args.empty() ? std::string_view() : std::string_view(args.front());
  if (command == "verify") return RunVerify(args, config, out, err);
  if (command == "public-key") return RunPublicKey(config, out, err);
  if (command == "help" || command == "--help") {
    PrintAuditHelp(out);
    return kExitOk;
  }
  if (command.empty()) {
    err << "safedeskctl audit: a command is required\n";
  } else {
    err << "safedeskctl audit: unknown command \"" << command << "\"\n";
  }
  PrintAuditHelp(err);
  return kExitUsage;
}

}  // namespace safedesk::ctl
