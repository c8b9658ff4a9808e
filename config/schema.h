#pragma once
// Internal to config/: the keys of every section, their ranges, and the checks that span
// several keys. The example file config/examples/safedesk.toml documents the same keys.

#include "config/config.h"
#include "config/document.h"
#include "config/reader.h"

namespace safedesk::config {

// Reads every section of `root` into `config`, recording problems in `context`.
void ReadDocument(const Node& root, LoadContext& context, Config& config);

// Checks between keys: references, duplicates, and values that contradict each other.
void CheckConsistency(const Config& config, LoadContext& context);

}  // namespace safedesk::config
