// Registers and logs in with headless Chromium's virtual authenticator (CDP WebAuthn,
// user verification on) against safedesk_auth, then checks what the server decided and
// audited for every step tests/browser/webauthn_driver.mjs played, including the
// refusals a real browser can be made to produce.
//
// Needs tests/browser/node_modules: `npm ci --prefix tests/browser` (scripts/setup.sh).
// SAFEDESK_WEBAUTHN_CAPTURE_DIR=<dir> makes the driver write fresh unit-test fixtures.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/audit_event.h"
#include "common/clock.h"
#include "common/random.h"
#include "tests/integration/webauthn/webauthn_test_server.h"
#include "tests/testing/test_support.h"

namespace safedesk::testing {
namespace {

constexpr auto kDriverTimeout = std::chrono::seconds(240);
constexpr char kChromium[] = "/usr/bin/chromium";

// Runs argv with stdout and stderr into `log`, in its own process group so a timeout
// can end it together with the browser it started. Returns the exit status or -1.
int RunBounded(const std::vector<std::string>& argv, const std::filesystem::path& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + kDriverTimeout;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(-pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string Slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

// What the server must have decided per step: "" for accepted, else the audited reason.
const std::map<std::string, std::string>& RequiredOutcomes() {
  static const std::map<std::string, std::string> outcomes = {
      {"register-es256", ""},
      {"login-1", ""},
      {"login-2", ""},
      {"replay-same-ceremony", "challenge_reused"},
      {"replay-new-ceremony", "wrong_challenge"},
      {"login-uv-discouraged", "user_not_verified"},
      {"login-up-missing", "user_not_present"},
      {"login-uv-bit-cleared", "user_not_verified"},
      {"login-bogus-signature", "bad_signature"},
      {"login-3", ""},
      {"register-uv-discouraged", "user_not_verified"},
      {"register-uv-bit-cleared", "user_not_verified"},
      {"register-packed", ""},
      {"login-packed", ""},
      {"register-rs256", ""},
      {"login-rs256", ""},
  };
  return outcomes;
}
// Steps the browser may refuse to play (an algorithm or extension it does not offer).
const std::vector<std::string>& OptionalAcceptedSteps() {
  static const std::vector<std::string> steps = {"register-packed-extension", "login-packed-extension",
                                                 "register-eddsa", "login-eddsa"};
  return steps;
}

std::filesystem::path BrowserDir() { return SourceDir() / "tests" / "browser"; }
bool DriverInstalled() {
  return std::filesystem::exists(BrowserDir() / "node_modules" / "playwright-core" / "package.json");
}

// The whole browser run is one test: CTest runs each gtest case in its own process, so
// separate cases would each start Chromium again. The checks are grouped by aspect.
class WebAuthnBrowserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!DriverInstalled()) {
      GTEST_SKIP() << "\n\n*** WebAuthn browser test SKIPPED: " << (BrowserDir() / "node_modules").string()
                   << " is missing.\n*** Run: PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix tests/browser\n\n";
    }
    ASSERT_TRUE(std::filesystem::exists(kChromium)) << "chromium is a required package (scripts/setup.sh)";
  }

  // Plays the driver against a fresh server; the server's outcomes stay for the checks.
  void RunDriver() {
    server_ = std::make_unique<WebAuthnTestServer>(BrowserDir() / "webauthn", SystemClock(), SystemRandom(), audit_);
    server_->Start();
    std::vector<std::string> argv = {"node", (BrowserDir() / "webauthn_driver.mjs").string(), "--url",
                                     server_->origin()};
    if (const char* capture = std::getenv("SAFEDESK_WEBAUTHN_CAPTURE_DIR")) {
      argv.insert(argv.end(), {"--capture", capture});
    }
    driver_status_ = RunBounded(argv, temp_.path() / "driver.log");
    server_->Stop();
    driver_output_ = Slurp(temp_.path() / "driver.log");
  }

  StepOutcome Outcome(const std::string& step) const {
    std::optional<StepOutcome> outcome = server_->Outcome(step);
    EXPECT_TRUE(outcome.has_value()) << step << " never reached the server\n" << driver_output_;
    return outcome.value_or(StepOutcome{});
  }

  void ExpectEachStepDecidedWithItsReason() const {
    for (const auto& [step, reason] : RequiredOutcomes()) {
      const StepOutcome outcome = Outcome(step);
      EXPECT_EQ(outcome.ok, reason.empty()) << step;
      EXPECT_EQ(outcome.reason, reason) << step;
    }
    for (const std::string& step : OptionalAcceptedSteps()) {
      if (const auto outcome = server_->Outcome(step)) {
        EXPECT_TRUE(outcome->ok) << step << ": " << outcome->reason;
      } else {
        std::cout << "[ INFO ] the browser did not play " << step << "\n";
      }
    }
  }

  void ExpectCountersAndAlgorithms() const {
    EXPECT_GT(Outcome("login-2").sign_count, Outcome("login-1").sign_count);
    EXPECT_GT(Outcome("login-3").sign_count, Outcome("login-2").sign_count);
    EXPECT_EQ(Outcome("register-es256").algorithm, "ES256");
    EXPECT_EQ(Outcome("register-packed").algorithm, "ES256");
    EXPECT_EQ(Outcome("register-rs256").algorithm, "RS256");
  }

  void ExpectEveryEnrolmentAndRefusalAudited() const {
    std::size_t accepted_registrations = 0;
    std::size_t refusals = 0;
    for (const StepOutcome& o : server_->outcomes()) {
      if (o.ok && o.endpoint.find("register") != std::string::npos) ++accepted_registrations;
      if (!o.ok) ++refusals;
    }
    EXPECT_EQ(audit_.CountOfType("factor.enrolled"), accepted_registrations);
    EXPECT_EQ(audit_.CountOfType("factor.rejected"), refusals);
    for (const AuditEvent& event : audit_.events()) {
      const auto* factor = event.Find("factor");
      ASSERT_NE(factor, nullptr);
      EXPECT_EQ(std::get<std::string>(*factor), "webauthn");
    }
  }

  MemoryAuditSink audit_;
  TempDir temp_;
  std::unique_ptr<WebAuthnTestServer> server_;
  std::string driver_output_;
  int driver_status_ = -1;
};

TEST_F(WebAuthnBrowserTest, RegistersLogsInAndRefusesWithChromium) {
  RunDriver();
  EXPECT_EQ(driver_status_, 0) << "driver output:\n" << driver_output_;
  {
    SCOPED_TRACE("each step decided with its own reason");
    ExpectEachStepDecidedWithItsReason();
  }
  {
    SCOPED_TRACE("counters and algorithms");
    ExpectCountersAndAlgorithms();
  }
  {
    SCOPED_TRACE("audit");
    ExpectEveryEnrolmentAndRefusalAudited();
  }
}

}  // namespace
}  // namespace safedesk::testing
