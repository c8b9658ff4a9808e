#include "config/cli.h"

#include <iostream>

#include <fmt/format.h>
#include <signal.h>
#include <spdlog/common.h>

#include <ostream>

#include "config/loader.h"

namespace safedesk::config {
namespace {

struct Flags {
  std::optional<std::string> config_file;
  bool check = false;
  bool help = false;
  bool version = false;
  std::vector<std::string> args;
  std::string usage_error;  // non-empty: the command line is wrong
};

Flags ParseFlags(int argc, char** argv) {
  Flags flags;
  const auto set_file = [&flags](std::string_view file) {
    if (file.empty()) {
      flags.usage_error = "--config needs a FILE argument";
    } else if (flags.config_file) {
      flags.usage_error = "--config given twice";
    } else {
      flags.config_file = std::string(file);
    }
  };
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") {
      for (++i; i < argc; ++i) flags.args.emplace_back(argv[i]);
    } else if (arg == "--config") {
      set_file(i + 1 < argc ? std::string_view(argv[++i]) : std::string_view());
    } else if (arg.starts_with("--config=")) {
      set_file(arg.substr(std::string_view("--config=").size()));
    } else if (arg == "--check-config") {
      flags.check = true;
    } else if (arg == "--help" || arg == "-h") {
      flags.help = true;
    } else if (arg == "--version") {
      flags.version = true;
    } else {
      flags.args.emplace_back(arg);
    }
  }
  return flags;
}

void PrintUsage(std::string_view program, Component component, std::ostream& out) {
  out << "Usage: " << program << " [--config FILE] [--check-config]"
      << (component == Component::kCtl ? " COMMAND [ARGS...]\n" : "\n")
      << "  --config FILE    the deployment's TOML configuration (default: embedded defaults;\n"
      << "                   relative paths in it resolve against its directory)\n"
      << "  --check-config   check the configuration and the key files this program opens,\n"
      << "                   print OK or every error, and exit (0 when OK, 1 otherwise)\n"
      << "  --version        print the version and exit\n"
      << "  --help           print this help and exit\n";
  if (component == Component::kCtl) out << "Run '" << program << " help' for the commands.\n";
}

// The configuration and its file problems for `component`, all diagnostics together.
struct Loaded {
  std::optional<Config> config;
  std::vector<Diagnostic> diagnostics;
};

Loaded LoadAndCheck(const std::optional<std::string>& file, Component component) {
  Loaded loaded;
  if (file) {
    LoadResult result = Load(*file);
    loaded.config = std::move(result.config);
    loaded.diagnostics = std::move(result.diagnostics);
  } else {
    loaded.config = Defaults();
  }
  if (loaded.config) {
    std::vector<Diagnostic> files = CheckFiles(*loaded.config, component);
    loaded.diagnostics.insert(loaded.diagnostics.end(), files.begin(), files.end());
  }
  if (!loaded.diagnostics.empty()) loaded.config.reset();
  return loaded;
}

}  // namespace

CliOutcome HandleConfigFlags(std::string_view program, Component component, int argc, char** argv,
                             std::ostream& out, std::ostream& err) {
  CliOutcome outcome;
  Flags flags = ParseFlags(argc, argv);
  if (!flags.usage_error.empty()) {
    err << program << ": " << flags.usage_error << "\n";
    PrintUsage(program, component, err);
    outcome.exit_code = kExitUsage;
    return outcome;
  }
  if (flags.help || flags.version) {
    if (flags.help) PrintUsage(program, component, out);
    if (flags.version) out << program << " " << Version() << "\n";
    outcome.exit_code = kExitOk;
    return outcome;
  }
  Loaded loaded = LoadAndCheck(flags.config_file, component);
  if (!loaded.config) {
    for (const Diagnostic& d : loaded.diagnostics) err << d.ToString() << "\n";
    err << program << ": " << loaded.diagnostics.size() << " configuration error"
        << (loaded.diagnostics.size() == 1 ? "" : "s") << "\n";
    outcome.exit_code = kExitConfigError;
    return outcome;
  }
  if (flags.check) {
    out << "OK: " << loaded.config->source << "\n";
    outcome.exit_code = kExitOk;
    return outcome;
  }
  outcome.config = std::move(loaded.config);
  outcome.args = std::move(flags.args);
  return outcome;
}

std::string_view Version() { return SAFEDESK_VERSION; }

log::Options LogOptions(std::string_view program, const LogConfig& config) {
  log::Options options;
  options.program = std::string(program);
  options.format = config.format == LogFormat::kJson ? log::Format::kJson : log::Format::kText;
  switch (config.level) {
    case LogLevel::kTrace:
      options.level = spdlog::level::trace;
      break;
    case LogLevel::kDebug:
      options.level = spdlog::level::debug;
      break;
    case LogLevel::kInfo:
      options.level = spdlog::level::info;
      break;
    case LogLevel::kWarning:
      options.level = spdlog::level::warn;
      break;
    case LogLevel::kError:
      options.level = spdlog::level::err;
      break;
    case LogLevel::kCritical:
      options.level = spdlog::level::critical;
      break;
  }
  options.file = config.file.string();
  return options;
}

Result<void> InitLogging(std::string_view program, const LogConfig& config) {
  try {
    log::Init(LogOptions(program, config));
  } catch (const spdlog::spdlog_ex& e) {
    return MakeError(
        Errc::kIo, fmt::format("cannot open the log file {}: {}", config.file.string(), e.what()));
  }
  return Ok();
}

void BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

std::string_view WaitForStopSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int signal_number = 0;
  while (sigwait(&set, &signal_number) != 0) {
  }
  return signal_number == SIGINT ? "SIGINT" : "SIGTERM";
}

int ServiceMain(std::string_view program, Component component, int argc, char** argv,
                int (*run)(const Config& config)) {
  // Before any thread exists, so every later thread inherits the blocked mask.
  BlockStopSignals();
  CliOutcome cli = HandleConfigFlags(program, component, argc, argv, std::cout, std::cerr);
  if (cli.exit_code) return *cli.exit_code;
  if (!cli.args.empty()) {
    std::cerr << program << ": unknown argument \"" << cli.args.front() << "\"; see --help\n";
    return kExitUsage;
  }
  if (auto logging = InitLogging(program, cli.config->log); !logging) {
    std::cerr << program << ": " << logging.error().message << "\n";
    return kExitConfigError;
  }
  return run(*cli.config);
}

}  // namespace safedesk::config
