#pragma once
// The agent's client of the broker's component API (broker/API.md "Components"):
// register with the lockdown result, heartbeat every second, and session events. It runs
// on its own thread so a slow broker never stalls the mask stream; mutual TLS with the
// agent's certificate (CN agent-<desktop id>, which the broker binds to desktopId).

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "agent/tls_client.h"
#include "common/result.h"
#include "config/address.h"

namespace safedesk::agent {

// One session event: a type from API.md and string-valued detail fields.
struct BrokerEvent {
  std::string type;  // process.started, window.sensitive_shown, lockdown.failed
  std::vector<std::pair<std::string, std::string>> detail;
};

// The JSON bodies, exposed for tests.
std::string RegisterBody(const std::string& desktop_id, const std::vector<std::string>& lockdown_failures);
std::string EventBody(const std::string& desktop_id, const BrokerEvent& event);

// POSTs `body` to url.path + path over a fresh connection; the HTTP status.
Result<int> PostJson(const TlsClientFiles& files, const config::HttpsUrl& url, const std::string& path,
                     const std::string& body, std::chrono::milliseconds timeout);

class BrokerReporter {
 public:
  // Events waiting for the broker beyond this are dropped (oldest first) with a log line:
  // a broker gone for long must not grow the agent without bound.
  static constexpr std::size_t kMaxQueuedEvents = 1024;

  BrokerReporter(TlsClientFiles files, config::HttpsUrl broker, std::string desktop_id,
                 std::chrono::milliseconds heartbeat_every);
  ~BrokerReporter();  // stops and joins the thread
  BrokerReporter(const BrokerReporter&) = delete;
  BrokerReporter& operator=(const BrokerReporter&) = delete;

  // Starts the thread: registers (retrying every second until the broker answers 200),
  // then heartbeats and sends queued events. A 404 on heartbeat (broker restarted)
  // registers again with the same lockdown result.
  void Start(std::vector<std::string> lockdown_failures);
  void Report(BrokerEvent event);
  // Later lockdown failures are part of the register body from now on.
  void AddLockdownFailure(const std::string& check);

 private:
  void Run();
  bool Registered();

  TlsClientFiles files_;
  config::HttpsUrl broker_;
  std::string desktop_id_;
  std::chrono::milliseconds heartbeat_every_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::vector<std::string> lockdown_failures_;
  std::deque<BrokerEvent> events_;
  std::thread thread_;
};

}  // namespace safedesk::agent
