// safedesk-auth-helper: the privileged half of the password check (openssh privsep
// style). Started by the broker while it is still root, it answers AUTH_PASSWORD requests
// on one inherited socket with PAM, and can do nothing else. Protocol:
// PRIVSEP_PROTOCOL.md.
//
//   safedesk-auth-helper --service NAME --fd N

#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <string>
#include <string_view>

#include "auth/pam_password.h"
#include "auth/privsep_helper.h"
#include "common/log.h"

namespace {

struct Args {
  std::string service;
  int fd = -1;
};

// A PAM service name is a file name under /etc/pam.d: no slash, no surprises.
bool ValidServiceName(std::string_view name) {
  if (name.empty() || name.size() > 64 || name[0] == '.') return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

bool ParseArgs(int argc, char** argv, Args& args) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view key = argv[i];
    const std::string_view value = argv[i + 1];
    if (key == "--service") {
      args.service = value;
    } else if (key == "--fd") {
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), args.fd);
      if (ec != std::errc() || end != value.data() + value.size()) return false;
    } else {
      return false;
    }
  }
  return argc % 2 == 1 && ValidServiceName(args.service) && args.fd > 2;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!ParseArgs(argc, argv, args)) {
    std::fprintf(stderr, "usage: safedesk-auth-helper --service NAME --fd N (N > 2)\n");
    return 2;
  }
  // Hold nothing but the one socket: no descriptor the broker leaked by mistake.
  if (args.fd > 3) close_range(3, static_cast<unsigned>(args.fd) - 1, 0);
  close_range(static_cast<unsigned>(args.fd) + 1, ~0U, 0);
  signal(SIGPIPE, SIG_IGN);  // a vanished broker is a write error, handled as such
  safedesk::log::Options log_options;
  log_options.program = "safedesk-auth-helper";
  safedesk::log::Init(log_options);

  safedesk::auth::PamPasswordVerifier verifier(args.service);
  auto served = safedesk::auth::privsep::ServeConnection(args.fd, verifier);
  close(args.fd);
  if (!served.ok()) {
    safedesk::log::Main()->error("closing connection: {}", served.error().message);
    return 1;
  }
  return 0;
}
