#pragma once
// What every safedesk executable does first: handle --config, --check-config, --help and
// --version, load and check the configuration, and set up logging from it.

#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/log.h"
#include "config/config.h"

namespace safedesk::config {

constexpr int kExitOk = 0;
constexpr int kExitConfigError = 1;  // the configuration or a key file is wrong
constexpr int kExitUsage = 2;        // the command line is wrong

struct CliOutcome {
  std::optional<Config> config;   // set when the program should go on
  std::optional<int> exit_code;   // set when the program should exit now with it
  std::vector<std::string> args;  // the arguments that were not config flags, in order
};

// `--config FILE` / `--config=FILE` (none: the embedded defaults), `--check-config`
// (prints "OK: FILE" on `out` and exits 0, or every diagnostic on `err` and exits 1),
// `--help`, `--version`. Everything else, and everything after "--", is left in args.
// Without --check-config a bad configuration still ends the program (exit 1): nothing
// starts on a configuration that --check-config would reject.
CliOutcome HandleConfigFlags(std::string_view program, Component component, int argc, char** argv,
                             std::ostream& out, std::ostream& err);

// The safedesk release, e.g. "0.1.0".
std::string_view Version();

// log::Init options from [log].
log::Options LogOptions(std::string_view program, const LogConfig& config);
// log::Init with them; an error (rather than spdlog's exception) when the file cannot be
// opened.
Result<void> InitLogging(std::string_view program, const LogConfig& config);

// Blocks SIGINT and SIGTERM in the calling thread. Call at the top of main, before any
// thread starts, so every thread inherits the mask and WaitForStopSignal() alone sees them.
void BlockStopSignals();
// Waits for SIGINT or SIGTERM (blocked by BlockStopSignals) and returns its name.
std::string_view WaitForStopSignal();

// The whole main() of a service executable: blocks the stop signals, handles the config
// flags, refuses other arguments, sets up logging, then returns run(config).
int ServiceMain(std::string_view program, Component component, int argc, char** argv,
                int (*run)(const Config& config));

}  // namespace safedesk::config
