#pragma once
// safedesk-gateway: the data plane: relays a researcher's browser or RDP client to the analysis
// desktop and records the session. For now it starts, logs, and waits for SIGINT or SIGTERM: it
// serves nothing yet.

#include "config/config.h"

namespace safedesk::gateway {

// Runs until SIGINT or SIGTERM (which main blocked with config::BlockStopSignals) and
// returns the process exit status.
int Run(const config::Config& config);

}  // namespace safedesk::gateway
