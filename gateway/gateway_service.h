#pragma once
// safedesk-gateway: the data plane. Relays a researcher's browser to the analysis desktop
// (WSS in, RDP out), pixels out and keyboard/mouse in and nothing else, and hands every
// frame to the session's recorder. See DESIGN.md.

#include "config/config.h"
#include "gateway/browser_session.h"

namespace safedesk::gateway {

BrowserOptions BrowserOptionsFrom(const config::GatewayConfig& gateway);

// Runs until SIGINT or SIGTERM (which main blocked with config::BlockStopSignals) and
// returns the process exit status.
int Run(const config::Config& config);

}  // namespace safedesk::gateway
