#pragma once
// The privileged side of the sandbox split: creates and removes network namespaces, veth
// pairs, the gateway address and the nftables table, and launches each desktop inside its
// namespace through bubblewrap as an unprivileged user. It answers SANDBOX_PROTOCOL.md's
// table over one socket and does nothing else. Single-threaded, so fork is safe here.

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "common/result.h"
#include "sandbox/sandbox_protocol.h"

namespace safedesk::sandbox {

struct HelperOptions {
  std::filesystem::path runtime_dir;  // per-sandbox directories runtime_dir/sd-N
  std::string net_prefix = "10.77";   // first two octets of the sandbox range (a /16)
  std::uint16_t agent_feed_port = 8445;
  std::uint16_t registration_port = 8446;
  std::uint16_t rdp_port = 3389;
  uid_t desktop_uid = 65534;  // the host uid every desktop process runs as
  gid_t desktop_gid = 65534;
  std::filesystem::path agent;  // empty: no agent is started in desktops
};

class SandboxHelper {
 public:
  explicit SandboxHelper(HelperOptions options);
  ~SandboxHelper();  // destroys every sandbox and the host-side setup
  SandboxHelper(const SandboxHelper&) = delete;
  SandboxHelper& operator=(const SandboxHelper&) = delete;

  // Serves requests on `fd` until EOF. Returns 0, or 1 after a protocol violation.
  int Serve(int fd);
  Answer Handle(DecodedRequest& request);

  Result<void> CreateNetwork(std::uint16_t n);
  Result<pid_t> Launch(std::uint16_t n, const LaunchParams& params);
  bool Running(std::uint16_t n);
  void Destroy(std::uint16_t n);
  // Removes every sd-N netns, sdvN link, sd-N directory, sdgw0 and the nft table.
  void Sweep();

 private:
  Result<void> EnsureHost();
  std::string Address(std::uint16_t n, int host) const;

  HelperOptions options_;
  bool host_ready_ = false;
  std::map<std::uint16_t, pid_t> desktops_;  // sandbox number → outer bwrap pid
};

}  // namespace safedesk::sandbox
