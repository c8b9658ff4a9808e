// Runs the built executables: --check-config's exit codes and output, and a clean stop
// services that refuse to start without their keys.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "tests/testing/test_support.h"

namespace safedesk {
namespace {

using ::testing::HasSubstr;

std::filesystem::path Binary(std::string_view name) {
  // SAFEDESK_BINARY_DIR when CTest sets it; otherwise the path CMake compiled in, so the
  // test also runs by hand from any directory.
  const std::filesystem::path from_env = testing::BinaryDir() / "bin" / std::string(name);
  if (std::filesystem::exists(from_env)) return from_env;
  return std::filesystem::path(SAFEDESK_TEST_BIN_DIR) / std::string(name);
}

std::string ReadAll(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Finished {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `program` with `args` (no shell), output into files in `dir`.
Finished RunProgram(const testing::TempDir& dir, std::string_view program,
                    std::vector<std::string> args) {
  const auto out_file = dir.path() / "stdout";
  const auto err_file = dir.path() / "stderr";
  std::string path = Binary(program).string();
  args.insert(args.begin(), path);
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::FILE* out = std::freopen(out_file.c_str(), "w", stdout);
    std::FILE* err = std::freopen(err_file.c_str(), "w", stderr);
    if (out != nullptr && err != nullptr) ::execv(path.c_str(), argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return Finished{WIFEXITED(status) ? WEXITSTATUS(status) : -1, ReadAll(out_file),
                  ReadAll(err_file)};
}

TEST(CheckConfigBinaryTest, GoodFilePrintsOkAndExitsZero) {
  testing::TempDir dir;
  const std::string file = dir.Write("safedesk.toml", "[broker]\nlisten = \"127.0.0.1:0\"\n");
  const Finished run = RunProgram(dir, "safedesk-broker", {"--config", file, "--check-config"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "OK: " + file + "\n");
}

TEST(CheckConfigBinaryTest, ExampleFileIsOkForEveryExecutable) {
  testing::TempDir dir;
  const std::string example = (testing::SourceDir() / "config/examples/safedesk.toml").string();
  for (std::string_view program :
       {"safedesk-broker", "safedesk-gateway", "safedesk-agent", "safedeskctl"}) {
    const Finished run = RunProgram(dir, program, {"--config", example, "--check-config"});
    EXPECT_EQ(run.exit_code, 0) << program << ": " << run.err;
  }
}

TEST(CheckConfigBinaryTest, BadFilePrintsEveryErrorAndExitsOne) {
  testing::TempDir dir;
  const std::string file =
      dir.Write("safedesk.toml", "[broker]\nread_timeout = \"15\"\n[[projects]]\nname = \"p\"\n");
  const Finished run = RunProgram(dir, "safedesk-broker", {"--check-config", "--config", file});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.out, "");
  EXPECT_THAT(run.err, HasSubstr(file + ":2:16: broker.read_timeout: expected a duration"));
  EXPECT_THAT(run.err, HasSubstr(file + ":3:1: projects[0].pool: required key is missing"));
}

TEST(CheckConfigBinaryTest, KeyFileReadableByOthersExitsOne) {
  testing::TempDir dir;
  dir.Write("audit.pem", "key", 0644);
  const std::string file = dir.Write("safedesk.toml", "[audit]\nsigning_key = \"audit.pem\"\n");
  const Finished run = RunProgram(dir, "safedesk-broker", {"--config", file, "--check-config"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("audit.signing_key: "));
  EXPECT_THAT(run.err, HasSubstr("chmod 600"));
}

TEST(CheckConfigBinaryTest, MissingConfigArgumentExitsTwo) {
  testing::TempDir dir;
  EXPECT_EQ(RunProgram(dir, "safedesk-broker", {"--config"}).exit_code, 2);
}

TEST(CheckConfigBinaryTest, UnknownArgumentExitsTwo) {
  testing::TempDir dir;
  const Finished run = RunProgram(dir, "safedesk-gateway", {"--frobnicate"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("unknown argument \"--frobnicate\""));
}

TEST(SafedeskctlTest, VersionAndUnknownCommand) {
  testing::TempDir dir;
  const Finished version = RunProgram(dir, "safedeskctl", {"version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_THAT(version.out, HasSubstr("safedeskctl "));
  EXPECT_EQ(RunProgram(dir, "safedeskctl", {"frobnicate"}).exit_code, 2);
  EXPECT_EQ(RunProgram(dir, "safedeskctl", {}).exit_code, 2);
}

// The services fail closed: without the keys and certificates they need they do not
// start, and the log names the missing key. (Clean stops on SIGTERM are covered where the
// services run for real: tests/integration/broker*, gateway, agent.)
TEST(ServiceTest, RefusesToStartWithoutItsKeysAndNamesTheMissingOne) {
  const std::pair<std::string_view, std::string_view> cases[] = {{"safedesk-gateway", "gateway.tls_cert"},
                                                                 {"safedesk-agent", "agent.desktop_id"}};
  for (const auto& [program, key] : cases) {
    testing::TempDir dir;
    const auto log_file = dir.path() / "service.log";
    const std::string file = dir.Write("safedesk.toml", "[log]\nfile = \"service.log\"\n");
    std::string path = Binary(program).string();
    std::string config_flag = "--config=" + file;
    char* argv[] = {path.data(), config_flag.data(), nullptr};
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::execv(path.c_str(), argv);
      ::_exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0) << program;
    const std::string log = ReadAll(log_file);
    EXPECT_THAT(log, HasSubstr("config: " + file)) << program;
    EXPECT_THAT(log, HasSubstr(std::string(key))) << program;
  }
}

}  // namespace
}  // namespace safedesk
