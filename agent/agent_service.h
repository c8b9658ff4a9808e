#pragma once
// safedesk-agent: runs inside each analysis desktop: window masks to the gateway; lockdown,
// heartbeats and session events to the broker. See agent/DESIGN.md.

#include "config/config.h"

namespace safedesk::agent {

// Runs until SIGINT or SIGTERM (which main blocked with config::BlockStopSignals) and
// returns the process exit status.
int Run(const config::Config& config);

}  // namespace safedesk::agent
