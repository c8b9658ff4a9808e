#pragma once
// A DesktopProvider that runs each desktop as two processes on this host: an Xvfb X server
// and freerdp-shadow-cli sharing it over RDP with NLA, bound to loopback, authenticated
// by a per-session random password kept in a SAM file (NT hash only) in the desktop's own
// 0700 directory. For one-machine deployments and tests; it isolates nothing beyond
// process boundaries, which is why the sandbox provider replaces it in production.
//
// Start is two steps so nothing blocks: Start launches Xvfb on a free display (X lock
// files decide); Probe launches the RDP server once the display accepts connections, then
// reports ready once the RDP port accepts a TCP connection.

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>

#include "broker/provider_desktop.h"
#include "common/random.h"

namespace safedesk::broker {

struct HostProcessOptions {
  std::filesystem::path runtime_dir;  // each desktop gets runtime_dir/desktop-<id>, 0700
  std::filesystem::path xvfb = "/usr/bin/Xvfb";
  std::filesystem::path rdp_server = "/usr/bin/freerdp-shadow-cli";
  std::string bind_host = "127.0.0.1";
  std::string username = "safedesk";
  // Each desktop costs an X server and an encoder; more than this on one host is a mistake.
  std::size_t max_desktops = 16;
  // How long Stop waits for a polite exit before SIGKILL.
  std::chrono::milliseconds stop_grace{1'000};
};

class HostProcessProvider final : public DesktopProvider {
 public:
  HostProcessProvider(HostProcessOptions options, Random& random);
  ~HostProcessProvider() override;
  HostProcessProvider(const HostProcessProvider&) = delete;
  HostProcessProvider& operator=(const HostProcessProvider&) = delete;

  Result<DesktopHandle> Start(const DesktopSpec& spec) override;
  Result<DesktopState> Probe(const std::string& id) override;
  Result<void> Stop(const std::string& id) override;
  std::vector<DesktopInfo> List() const override;

  struct Desktop;

 private:
  Result<void> PrepareDirectory(Desktop& desktop, const Secret& password);
  Result<void> LaunchXvfb(Desktop& desktop);
  void OnXvfbExit(Desktop& desktop);
  Result<void> LaunchRdpServer(Desktop& desktop);
  void Destroy(Desktop& desktop);

  HostProcessOptions options_;
  Random& random_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Desktop>> desktops_;
};

// "user:::<NT hash hex>:::\n", the SAM line FreeRDP's NLA server reads. The hash is MD4
// of the UTF-16LE password (MS-NLMP NTOWFv1), computed here so that the password never
// appears on a command line. Empty on failure.
Result<Secret> SamFileLine(std::string_view user, const Secret& password);

}  // namespace safedesk::broker
