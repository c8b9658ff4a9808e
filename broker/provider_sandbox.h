#pragma once
// A DesktopProvider that runs each desktop in its own sandbox (sandbox/DESIGN.md): a
// network namespace reachable only from the gateway address, bubblewrap mount/PID/IPC/UTS
// namespaces, an unprivileged user, Xvfb + openbox + freerdp-shadow-cli with NLA, and
// optionally the safedesk agent. Every privileged step goes through the sandbox helper
// (sandbox/SANDBOX_PROTOCOL.md); this class runs unprivileged.

#include <map>
#include <memory>
#include <mutex>

#include "broker/agent_certs.h"
#include "broker/provider_desktop.h"
#include "common/random.h"
#include "config/config.h"
#include "sandbox/sandbox_client.h"

namespace safedesk::broker {

struct SandboxProviderOptions {
  std::string net_prefix = "10.77";  // must match the helper's --net-prefix
  std::uint16_t rdp_port = 3389;     // must match the helper's --rdp-port
  std::string username = "safedesk";
  std::size_t max_desktops = 16;
  // Empty: desktops run without an agent and are ready once RDP accepts. Else the
  // text of the agent's config file, in which "{desktop_id}" and "{session_id}" are
  // replaced per desktop, and readiness waits for `agent_status`.
  std::string agent_config_template;
  // With an agent: each desktop gets its own certificate (CN agent-<desktop id>) from
  // this issuer, as /run/safedesk/agent.{crt,key}, and agent_ca_pem as /run/safedesk/ca.crt.
  // Null: the template must name files of its own (tests without TLS).
  const AgentCertIssuer* agent_issuer = nullptr;
  std::string agent_ca_pem;
};

// The agent's config file for a sandbox desktop ("{desktop_id}"/"{session_id}" filled in
// per desktop): the broker's component listener and the gateway's agent feed at the
// sandboxes' gateway address (net_prefix.0.1, the only peer a sandbox reaches), the
// per-desktop certificate files under /run/safedesk, the dataset at /data, and the
// deployment's [agent] mask rules, process_args and heartbeat interval. Start appends the
// project's mask rules (DesktopSpec::mask_rules).
std::string SandboxAgentConfigTemplate(const config::Config& config, const std::string& net_prefix);

class SandboxProvider final : public DesktopProvider {
 public:
  SandboxProvider(std::unique_ptr<sandbox::SandboxClient> helper, SandboxProviderOptions options, Random& random,
                  AgentStatusFn agent_status = {});
  ~SandboxProvider() override;

  Result<DesktopHandle> Start(const DesktopSpec& spec) override;
  Result<DesktopState> Probe(const std::string& id) override;
  Result<void> Stop(const std::string& id) override;
  std::vector<DesktopInfo> List() const override;

 private:
  struct Desktop {
    DesktopInfo info;
    std::uint16_t number = 0;
  };

  std::unique_ptr<sandbox::SandboxClient> helper_;
  SandboxProviderOptions options_;
  Random& random_;
  AgentStatusFn agent_status_;
  mutable std::mutex mu_;
  std::map<std::string, Desktop> desktops_;
};

}  // namespace safedesk::broker
