// The real safedesk-agent on a real Xvfb reporting to a mutual-TLS HTTP listener that
// stands in for the broker's component API: register with the lockdown result, heartbeats,
// and session events (a process the test starts, a sensitive xterm it opens).
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/child_process.h"
#include "tests/testing/test_support.h"
#include "tests/testing/test_xvfb.h"
#include "tests/integration/agent/mtls_test_listener.h"
#include "tests/testing/tls_test_certs.h"

namespace safedesk {
namespace {

using std::chrono::milliseconds;
using testing::ChildProcess;
using testing::TempDir;

constexpr char kDesktop[] = "desk-1";
constexpr std::chrono::seconds kStepTimeout{10};

struct BrokerCall {
  std::string cn;
  std::string path;
  std::string body;
};

// The broker's side: one HTTP/1.1 request per connection (the agent sends Connection:
// close), client certificate from the test CA required, every call kept, 200 {} answered.
class BrokerListener {
 public:
  explicit BrokerListener(const testing::TestPki& pki)
      : listener_(pki, std::chrono::seconds(2), [this](SSL* ssl) { Answer(ssl); }) {}

  std::uint16_t port() const { return listener_.port(); }

  // Waits (bounded) until `count` calls satisfy `pred`; returns them.
  std::vector<BrokerCall> WaitFor(const std::function<bool(const BrokerCall&)>& pred, std::size_t count = 1) {
    std::unique_lock lock(mu_);
    std::vector<BrokerCall> found;
    cv_.wait_for(lock, kStepTimeout, [&] {
      found.clear();
      for (const BrokerCall& call : calls_) {
        if (pred(call)) found.push_back(call);
      }
      return found.size() >= count;
    });
    return found;
  }

 private:
  void Answer(SSL* ssl) {
    BrokerCall call;
    call.cn = testing::MtlsTestListener::PeerCommonName(ssl);
    std::string data;
    std::size_t body_at = std::string::npos;
    std::size_t length = 0;
    for (int reads = 0; reads < 64; ++reads) {
      char chunk[4096];
      std::size_t n = 0;
      if (SSL_read_ex(ssl, chunk, sizeof chunk, &n) != 1) return;
      data.append(chunk, n);
      if (body_at == std::string::npos && (body_at = data.find("\r\n\r\n")) != std::string::npos) {
        body_at += 4;
        const auto at = data.find("Content-Length: ");
        if (at != std::string::npos) length = std::stoul(data.substr(at + 16));
      }
      if (body_at != std::string::npos && data.size() >= body_at + length) break;
    }
    if (body_at == std::string::npos) return;
    const auto first_space = data.find(' ');
    call.path = data.substr(first_space + 1, data.find(' ', first_space + 1) - first_space - 1);
    call.body = data.substr(body_at, length);
    const std::string answer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
                               "Connection: close\r\n\r\n{}";
    std::size_t written = 0;
    SSL_write_ex(ssl, answer.data(), answer.size(), &written);
    SSL_shutdown(ssl);
    std::lock_guard lock(mu_);
    calls_.push_back(std::move(call));
    cv_.notify_all();
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<BrokerCall> calls_;
  testing::MtlsTestListener listener_;  // last: its thread stops before the state above goes
};

bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

class AgentBrokerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StartXvfb();
    ASSERT_FALSE(display_name_.empty()) << "Xvfb did not start";
    pki_ = testing::MakeTestPki();
    broker_ = std::make_unique<BrokerListener>(pki_);
    StartAgent();
  }

  void TearDown() override {
    if (agent_) {
      agent_->Signal(SIGTERM);
      EXPECT_EQ(agent_->Wait(std::chrono::seconds(15)), 0) << agent_->Stderr();
    }
    agent_.reset();
    child_.reset();
    broker_.reset();
    if (xvfb_) {
      xvfb_->Signal(SIGTERM);
      xvfb_->Wait(std::chrono::seconds(10));
    }
    xvfb_.reset();
  }

  void StartXvfb() {
    testing::TestXvfb started = testing::StartTestXvfb(dir_.path());
    xvfb_ = std::move(started.process);
    display_name_ = started.display;
  }

  void StartAgent() {
    const auto client = pki_.Client(std::string("agent-") + kDesktop);
    const std::string ca = dir_.Write("ca.pem", pki_.ca.certificate_pem, 0644);
    const std::string cert = dir_.Write("agent.pem", client.certificate_pem, 0644);
    const std::string key = dir_.Write("agent.key", client.private_key_pem, 0600);
    std::filesystem::create_directories(dir_.path() / "dataset");
    const std::string config = dir_.Write(
        "agent.toml",
        "[agent]\n"
        "desktop_id = \"" + std::string(kDesktop) + "\"\n"
        "display = \"" + display_name_ + "\"\n"
        "broker_url = \"https://127.0.0.1:" + std::to_string(broker_->port()) + "\"\n"
        // Nothing listens here: the mask feed keeps retrying, which must not hold up the broker client.
        "gateway_feed = \"127.0.0.1:9\"\n"
        "process_args = \"truncated\"\n"
        // A directory on the test's writable file system: the read-only check must fail.
        "dataset_path = \"" + (dir_.path() / "dataset").string() + "\"\n"
        "cert = \"" + cert + "\"\nkey = \"" + key + "\"\nca_cert = \"" + ca + "\"\n"
        "[[agent.mask_rules]]\ntitle = \"^secret-\"\n",
        0644);
    agent_ = std::make_unique<ChildProcess>(testing::ExecutablePath("safedesk-agent"),
                                            std::vector<std::string>{"--config", config}, dir_.path());
  }

  std::vector<BrokerCall> WaitForPath(const std::string& path, std::size_t count = 1) {
    return broker_->WaitFor([&](const BrokerCall& c) { return c.path == path; }, count);
  }

  TempDir dir_;
  std::string display_name_;
  testing::TestPki pki_;
  std::unique_ptr<ChildProcess> xvfb_;
  std::unique_ptr<BrokerListener> broker_;
  std::unique_ptr<ChildProcess> agent_;
  std::unique_ptr<ChildProcess> child_;
};

TEST_F(AgentBrokerTest, RegistersUnderItsOwnCertificateWithTheLockdownResult) {
  const auto calls = WaitForPath("/api/agent/register");
  ASSERT_EQ(calls.size(), 1u) << agent_->Stderr();
  EXPECT_EQ(calls[0].cn, std::string("agent-") + kDesktop);
  EXPECT_TRUE(Has(calls[0].body, R"("desktopId":"desk-1")")) << calls[0].body;
  EXPECT_TRUE(Has(calls[0].body, R"("ok":false)")) << calls[0].body;
  EXPECT_TRUE(Has(calls[0].body, R"("dataset_read_only")")) << calls[0].body;
}

TEST_F(AgentBrokerTest, HeartbeatsFollowTheRegister) {
  ASSERT_EQ(WaitForPath("/api/agent/register").size(), 1u) << agent_->Stderr();
  const auto beats = WaitForPath("/api/agent/heartbeat", 2);
  ASSERT_GE(beats.size(), 2u) << agent_->Stderr();
  EXPECT_EQ(beats[0].body, R"({"desktopId":"desk-1"})");
}

TEST_F(AgentBrokerTest, StartedProcessIsReportedWithTruncatedArguments) {
  // The watcher primes on its first /proc scan, in the loop's first turn; the first
  // heartbeat (a second after the register) comes well after it.
  ASSERT_EQ(WaitForPath("/api/agent/heartbeat").size(), 1u) << agent_->Stderr();
  child_ = std::make_unique<ChildProcess>("/bin/sleep", std::vector<std::string>{"7.125"}, dir_.path());
  const auto events = broker_->WaitFor([](const BrokerCall& c) {
    return c.path == "/api/agent/events" && Has(c.body, R"("type":"process.started")") && Has(c.body, "7.125");
  });
  ASSERT_EQ(events.size(), 1u) << agent_->Stderr();
  EXPECT_TRUE(Has(events[0].body, R"("exe":"/bin/sleep","args":"7.125")")) << events[0].body;
}

TEST_F(AgentBrokerTest, SensitiveWindowShownIsReportedWithClassAndTitleDigestOnly) {
  ASSERT_EQ(WaitForPath("/api/agent/register").size(), 1u) << agent_->Stderr();
  child_ = std::make_unique<ChildProcess>(
      "/usr/bin/xterm", std::vector<std::string>{"-display", display_name_, "-T", "secret-notes"}, dir_.path());
  const auto events = broker_->WaitFor([](const BrokerCall& c) {
    return c.path == "/api/agent/events" && Has(c.body, R"("type":"window.sensitive_shown")");
  });
  ASSERT_EQ(events.size(), 1u) << agent_->Stderr();
  // printf 'secret-notes' | sha256sum
  EXPECT_TRUE(Has(events[0].body,
                  R"("wmClass":"XTerm","titleSha256":"95242702ed410a974bed3620a26afb56c38db4d126e58688a6aa251477c61561")"))
      << events[0].body;
  EXPECT_FALSE(Has(events[0].body, "secret-notes"));
}

}  // namespace
}  // namespace safedesk
