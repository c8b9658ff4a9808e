#pragma once
// The lockdown checks the agent runs at start (agent/DESIGN.md "Lockdown"). Each has a
// stable name the broker audits; any failure makes the broker refuse to hand the desktop
// out. Everything is read from an injectable /proc root so tests can feed fixture trees.

#include <filesystem>
#include <string>
#include <vector>

#include "config/address.h"

namespace safedesk::agent {

// Check names as reported to the broker (lockdown.failures, lockdown.failed events).
inline constexpr std::string_view kCheckClipboardBridge = "clipboard_bridge";
inline constexpr std::string_view kCheckRdpChannels = "rdp_channels";
inline constexpr std::string_view kCheckRoutes = "routes";
inline constexpr std::string_view kCheckDatasetReadOnly = "dataset_read_only";

struct LockdownFailure {
  std::string check;   // one of the names above
  std::string detail;  // for the agent's log only: what was found
};

struct LockdownOptions {
  std::filesystem::path proc_root = "/proc";
  std::filesystem::path dataset_path;   // empty: the check is skipped
  std::vector<config::Cidr> allowed_peers;
};

// Each returns the failures it found (empty: passed).
// No process whose name (comm or argv[0]'s basename) is a known clipboard bridge.
std::vector<LockdownFailure> CheckClipboardBridge(const std::filesystem::path& proc_root);
// No RDP channel server (xrdp-chansrv) and no freerdp-shadow-cli started with a
// clipboard or device redirection option.
std::vector<LockdownFailure> CheckRdpChannels(const std::filesystem::path& proc_root);
// /proc/net/route and /proc/net/ipv6_route: no default route; a route through a gateway
// only to destinations inside allowed_peers; on-link routes (no gateway) are the local link.
std::vector<LockdownFailure> CheckRoutes(const std::filesystem::path& proc_root,
                                         const std::vector<config::Cidr>& allowed_peers);
// /proc/self/mountinfo: the mount holding dataset_path is read-only.
std::vector<LockdownFailure> CheckDatasetReadOnly(const std::filesystem::path& proc_root,
                                                  const std::filesystem::path& dataset_path);

// All four, in the order above.
std::vector<LockdownFailure> RunLockdownChecks(const LockdownOptions& options);

}  // namespace safedesk::agent
