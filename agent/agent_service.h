#pragma once
// safedesk-agent: runs inside each analysis VM: heartbeats, window masks, session events, lockdown.
// For now it starts, logs, and waits for SIGINT or SIGTERM: it serves nothing yet.

#include "config/config.h"

namespace safedesk::agent {

// Runs until SIGINT or SIGTERM (which main blocked with config::BlockStopSignals) and
// returns the process exit status.
int Run(const config::Config& config);

}  // namespace safedesk::agent
