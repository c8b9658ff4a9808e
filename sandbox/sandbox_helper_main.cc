// safedesk-sandbox-helper: the privileged half of the sandbox provider. Started by the
// broker while it is still root, it answers SANDBOX_PROTOCOL.md's requests on one
// inherited socket, and removes everything it made when the socket closes.
//
//   safedesk-sandbox-helper --fd N --runtime-dir DIR [--net-prefix A.B] [--agent PATH]
//       [--agent-feed-port P] [--registration-port P] [--rdp-port P] [--uid U] [--gid G]

#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <string>
#include <string_view>

#include "sandbox/sandbox_helper.h"

namespace {

template <typename T>
bool Number(std::string_view value, T& out) {
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
  return ec == std::errc() && end == value.data() + value.size();
}

// "A.B" with two octets: the sandbox range is A.B.0.0/16.
bool ValidPrefix(std::string_view prefix) {
  const auto dot = prefix.find('.');
  int a = -1, b = -1;
  return dot != std::string_view::npos && Number(prefix.substr(0, dot), a) && Number(prefix.substr(dot + 1), b) &&
         a >= 1 && a <= 255 && b >= 0 && b <= 255;
}

bool ParseArgs(int argc, char** argv, int& fd, safedesk::sandbox::HelperOptions& options) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view key = argv[i];
    const std::string_view value = argv[i + 1];
    bool ok = true;
    if (key == "--fd") ok = Number(value, fd);
    else if (key == "--runtime-dir") options.runtime_dir = value;
    else if (key == "--net-prefix") options.net_prefix = value;
    else if (key == "--agent") options.agent = value;
    else if (key == "--agent-feed-port") ok = Number(value, options.agent_feed_port);
    else if (key == "--registration-port") ok = Number(value, options.registration_port);
    else if (key == "--rdp-port") ok = Number(value, options.rdp_port);
    else if (key == "--uid") ok = Number(value, options.desktop_uid);
    else if (key == "--gid") ok = Number(value, options.desktop_gid);
    else ok = false;
    if (!ok) return false;
  }
  return argc % 2 == 1 && fd > 2 && options.runtime_dir.is_absolute() && ValidPrefix(options.net_prefix) &&
         options.desktop_uid != 0 && options.desktop_gid != 0 && (options.agent.empty() || options.agent.is_absolute());
}

}  // namespace

int main(int argc, char** argv) {
  int fd = -1;
  safedesk::sandbox::HelperOptions options;
  if (!ParseArgs(argc, argv, fd, options)) {
    std::fprintf(stderr, "usage: safedesk-sandbox-helper --fd N --runtime-dir DIR [options] (see SANDBOX_PROTOCOL.md)\n");
    return 2;
  }
  ::close_range(3, fd - 1, 0);
  ::close_range(fd + 1, ~0U, 0);
  ::signal(SIGPIPE, SIG_IGN);
  // The helper lives exactly as long as its broker's socket: Ctrl-C or a SIGTERM to the
  // broker's process group (make demo, a service manager) must not kill it before it has
  // torn the sandboxes down. When the broker goes, the socket closes and Serve returns;
  // after a SIGKILL, the next start's Sweep removes what was left.
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGTERM, SIG_IGN);
  ::signal(SIGHUP, SIG_IGN);
  int rc = 0;
  {
    safedesk::sandbox::SandboxHelper helper(options);
    helper.Sweep();  // leftovers of a crashed previous run
    rc = helper.Serve(fd);
  }  // the destructor removes every sandbox and the host-side setup
  return rc;
}
