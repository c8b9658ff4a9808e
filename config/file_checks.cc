// CheckFiles: the key and certificate files each component opens.
#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "common/crypto.h"
#include "config/loader.h"

namespace safedesk::config {
namespace {

enum class FileKind {
  kPrivate,  // a secret: must not be readable by group or others
  kPublic,   // a certificate or CA bundle: must exist
  kSocket,   // a Unix socket another daemon creates (strongSwan's VICI)
};

constexpr unsigned Bit(Component c) { return 1U << static_cast<unsigned>(c); }

struct KeyFile {
  std::string_view key;
  const Path* path;
  FileKind kind;
  unsigned components;  // Bit()s of the components that open it
};

// Which component opens which file. The gateway redeems tickets with the broker, so the
// ticket key stays on the broker; ctl reads the audit key to verify checkpoints and the
// factor-secret key for user administration.
std::vector<KeyFile> KeyFiles(const Config& c) {
  const unsigned broker = Bit(Component::kBroker);
  const unsigned gateway = Bit(Component::kGateway);
  const unsigned agent = Bit(Component::kAgent);
  const unsigned ctl = Bit(Component::kCtl);
  return {
      {"broker.tls_cert", &c.broker.tls_cert, FileKind::kPublic, broker},
      {"broker.tls_key", &c.broker.tls_key, FileKind::kPrivate, broker},
      {"broker.client_ca", &c.broker.client_ca, FileKind::kPublic, broker},
      {"broker.agent_issuer_cert", &c.broker.agent_issuer_cert, FileKind::kPublic, broker},
      {"broker.agent_issuer_key", &c.broker.agent_issuer_key, FileKind::kPrivate, broker},
      {"gateway.tls_cert", &c.gateway.tls_cert, FileKind::kPublic, gateway},
      {"gateway.tls_key", &c.gateway.tls_key, FileKind::kPrivate, gateway},
      {"gateway.client_cert", &c.gateway.client_cert, FileKind::kPublic, gateway},
      {"gateway.client_key", &c.gateway.client_key, FileKind::kPrivate, gateway},
      {"gateway.ca_cert", &c.gateway.ca_cert, FileKind::kPublic, gateway},
      {"agent.cert", &c.agent.cert, FileKind::kPublic, agent},
      {"agent.key", &c.agent.key, FileKind::kPrivate, agent},
      {"agent.ca_cert", &c.agent.ca_cert, FileKind::kPublic, agent},
      {"auth.secret_key_file", &c.auth.secret_key_file, FileKind::kPrivate, broker | ctl},
      {"auth.ticket_signing_key", &c.auth.ticket_signing_key, FileKind::kPrivate, broker},
      {"auth.vici_socket", &c.auth.vici_socket, FileKind::kSocket, broker},
      {"recording.encryption_key_file", &c.recording.encryption_key_file, FileKind::kPrivate,
       gateway},
      {"recording.seal_key_file", &c.recording.seal_key_file, FileKind::kPrivate, gateway},
      {"audit.signing_key", &c.audit.signing_key, FileKind::kPrivate, broker | ctl},
  };
}

// The problem with `path` for its kind, or "" when there is none.
std::string FileProblem(const Path& path, FileKind kind) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return fmt::format("expected an existing file, found none at {} ({})", Quote(path.string()),
                       std::strerror(errno));
  }
  if (kind == FileKind::kSocket) {
    if (S_ISSOCK(st.st_mode)) return "";
    return fmt::format("expected a Unix socket, found something else at {}", Quote(path.string()));
  }
  if (!S_ISREG(st.st_mode)) {
    return fmt::format("expected a regular file, found {} at {}",
                       S_ISDIR(st.st_mode) ? "a directory" : "a special file",
                       Quote(path.string()));
  }
  if (kind == FileKind::kPrivate) {
    // common's check words the message ("mode 0644 ... chmod 600") the same everywhere.
    if (auto mode = CheckPrivateFileMode(path.string()); !mode) return mode.error().message;
  }
  return "";
}

}  // namespace

std::vector<Diagnostic> CheckFiles(const Config& config, Component component) {
  std::vector<Diagnostic> diagnostics;
  for (const KeyFile& entry : KeyFiles(config)) {
    if ((entry.components & Bit(component)) == 0) continue;
    const Path& path = *entry.path;
    // Empty means "not configured"; the component decides whether it can run without it.
    if (path.empty()) continue;
    // The VICI socket matters only when the VPN binding is on.
    if (entry.kind == FileKind::kSocket && !config.auth.vpn_required) continue;
    const std::string problem = FileProblem(path, entry.kind);
    if (problem.empty()) continue;
    const SourceLocation at = config.LocationOf(entry.key);
    diagnostics.push_back(Diagnostic{at.file, at.line, at.column, std::string(entry.key), problem});
  }
  return diagnostics;
}

}  // namespace safedesk::config
