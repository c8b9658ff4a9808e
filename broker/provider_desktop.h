#pragma once
// Where analysis desktops come from. A provider starts a desktop for one session with the
// project's data, reachable only from the gateway, with a per-session RDP credential that
// the researcher never sees; it stops and wipes it when the session ends. Start returns
// at once: readiness is probed, so a caller can wait on a timer instead of a thread.
// Implementations: HostProcessProvider (provider_host_process.h); sandbox and libvirt
// providers follow.

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/secret.h"
#include "common/session_grant.h"

namespace safedesk::broker {

struct DesktopSpec {
  std::string session_id;
  std::string project;
  std::filesystem::path dataset_path;  // mounted read-only where the provider can
  int width = 1280;
  int height = 800;
  std::string gateway_address;  // host:port; the only peer the desktop should accept
  // The project's mask rules: the desktop's agent reports windows matching them (besides
  // the deployment's [agent] rules). Empty field: any.
  std::vector<MaskRule> mask_rules;
};

struct RdpEndpoint {
  std::string host;
  std::uint16_t port = 0;
  std::string ToString() const;  // "host:port", "[v6]:port"
};

struct DesktopHandle {
  std::string id;  // provider-unique, safe to log
  RdpEndpoint endpoint;
  std::string username;
  Secret password;  // per-session; for the gateway only, never logged
};

struct DesktopInfo {
  std::string id;
  std::string session_id;
  std::string project;
  RdpEndpoint endpoint;
  std::string display;  // the desktop's X display as the host reaches it (":N"), if it has one
};

enum class DesktopState { kStarting, kReady, kFailed };

// What the broker knows of a desktop's in-desktop agent, as a provider needs it: a
// desktop with an agent is ready only once its agent reports ready; a failed lockdown
// fails the desktop (closed). broker_service adapts the component registry to this.
enum class AgentStatus { kUnknown, kReady, kLockdownFailed, kSilent };
using AgentStatusFn = std::function<AgentStatus(const std::string& desktop_id)>;

class DesktopProvider {
 public:
  virtual ~DesktopProvider() = default;
  virtual Result<DesktopHandle> Start(const DesktopSpec& spec) = 0;
  // A quick, non-blocking look: is the desktop accepting RDP connections yet?
  virtual Result<DesktopState> Probe(const std::string& id) = 0;
  // Stops the desktop and removes everything it wrote. Unknown ids are kNotFound.
  virtual Result<void> Stop(const std::string& id) = 0;
  virtual std::vector<DesktopInfo> List() const = 0;
  // Whether a Start of `spec` could be served now, asked before anything is spent (an
  // approval); kLimitExceeded when the desktops `spec` may use are all taken. A plain
  // provider admits everything and enforces its own cap in Start.
  virtual Result<void> Admit(const DesktopSpec& spec) {
    (void)spec;
    return safedesk::Ok();  // broker::Ok is the HTTP answer
  }
};

struct ReadyWait {
  std::chrono::milliseconds timeout{20'000};  // a desktop slower than this is broken
  std::chrono::milliseconds interval{25};
};

// Polls Probe on a steady timer until ready, failed or timed out (kUnavailable).
boost::asio::awaitable<Result<void>> WaitUntilReady(DesktopProvider& provider, std::string id, ReadyWait wait = {});

}  // namespace safedesk::broker
