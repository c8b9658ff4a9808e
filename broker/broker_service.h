#pragma once
// safedesk-broker: the control plane. Run() is the composition root: it opens the audit
// log, the state store and the TLS listener, registers the API handlers and the static
// pages, and serves until SIGINT or SIGTERM, then closes the audit log with a signed
// checkpoint.

#include "config/config.h"

namespace safedesk::broker {

// Runs until SIGINT or SIGTERM (which main blocked with config::BlockStopSignals) and
// returns the process exit status: 0 after a clean stop, 1 when something it needs
// (keys, certificate, audit log, store, listen address) is missing or refused.
int Run(const config::Config& config);

}  // namespace safedesk::broker
