#include "agent/broker_reporter.h"

#include <boost/json.hpp>
#include <fmt/format.h>

#include "common/log.h"

namespace safedesk::agent {
namespace {

namespace json = boost::json;

// Bound on one call (connect, handshake, request, answer).
constexpr std::chrono::milliseconds kCallTimeout{3000};
// Pause after a failed call: the broker may be restarting.
constexpr std::chrono::milliseconds kRetryPause{1000};
// The status line is all the agent reads of an answer; more than this is not HTTP.
constexpr std::size_t kMaxAnswerHeadBytes = 8 * 1024;

std::string Serialize(const json::object& object) { return json::serialize(object); }

// "HTTP/1.1 200 OK\r\n" → 200.
Result<int> StatusOf(std::string_view head) {
  if (!head.starts_with("HTTP/1.") || head.size() < 12 || head[8] != ' ') {
    return MakeError(Errc::kUnavailable, "broker answer is not HTTP");
  }
  int status = 0;
  for (std::size_t i = 9; i < 12; ++i) {
    if (head[i] < '0' || head[i] > '9') return MakeError(Errc::kUnavailable, "broker answer has no status");
    status = status * 10 + (head[i] - '0');
  }
  return status;
}

}  // namespace

std::string RegisterBody(const std::string& desktop_id, const std::vector<std::string>& lockdown_failures) {
  json::array failures;
  for (const std::string& name : lockdown_failures) failures.emplace_back(name);
  const bool ok = failures.empty();
  return Serialize(json::object{{"desktopId", desktop_id},
                                {"lockdown", json::object{{"ok", ok}, {"failures", std::move(failures)}}}});
}

std::string EventBody(const std::string& desktop_id, const BrokerEvent& event) {
  json::object detail;
  for (const auto& [key, value] : event.detail) detail[key] = value;
  return Serialize(json::object{{"desktopId", desktop_id}, {"type", event.type}, {"detail", std::move(detail)}});
}

Result<int> PostJson(const TlsClientFiles& files, const config::HttpsUrl& url, const std::string& path,
                     const std::string& body, std::chrono::milliseconds timeout) {
  auto connection = ConnectTls(files, url.host, url.port, timeout);
  if (!connection) return connection.error();
  const std::string host = url.host.find(':') == std::string::npos ? url.host : "[" + url.host + "]";
  const std::string request = fmt::format(
      "POST {}{} HTTP/1.1\r\nHost: {}:{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n"
      "Connection: close\r\n\r\n{}",
      url.path, path, host, url.port, body.size(), body);
  SAFEDESK_TRY((*connection)->WriteAll(request));
  std::string head;
  while (head.find("\r\n") == std::string::npos && head.size() < kMaxAnswerHeadBytes) {
    auto chunk = (*connection)->ReadSome();
    if (!chunk) return chunk.error();
    if (chunk->empty()) break;
    head += *chunk;
  }
  return StatusOf(head);
}

BrokerReporter::BrokerReporter(TlsClientFiles files, config::HttpsUrl broker, std::string desktop_id,
                               std::chrono::milliseconds heartbeat_every)
    : files_(std::move(files)),
      broker_(std::move(broker)),
      desktop_id_(std::move(desktop_id)),
      heartbeat_every_(heartbeat_every) {}

BrokerReporter::~BrokerReporter() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void BrokerReporter::Start(std::vector<std::string> lockdown_failures) {
  {
    std::lock_guard lock(mu_);
    lockdown_failures_ = std::move(lockdown_failures);
  }
  thread_ = std::thread([this] { Run(); });
}

void BrokerReporter::Report(BrokerEvent event) {
  {
    std::lock_guard lock(mu_);
    if (events_.size() >= kMaxQueuedEvents) {
      log::Main()->warn("broker unreachable: dropping a queued {} event", events_.front().type);
      events_.pop_front();
    }
    events_.push_back(std::move(event));
  }
  wake_.notify_all();
}

void BrokerReporter::AddLockdownFailure(const std::string& check) {
  std::lock_guard lock(mu_);
  lockdown_failures_.push_back(check);
}

bool BrokerReporter::Registered() {
  std::string body;
  {
    std::lock_guard lock(mu_);
    body = RegisterBody(desktop_id_, lockdown_failures_);
  }
  auto status = PostJson(files_, broker_, "/api/agent/register", body, kCallTimeout);
  if (status && *status == 200) {
    log::Main()->info("registered with the broker at {}:{}", broker_.host, broker_.port);
    return true;
  }
  log::Main()->warn("broker register failed: {}",
                    status ? fmt::format("HTTP {}", *status) : status.error().message);
  return false;
}

// One loop: register until it works, then a heartbeat every interval and events as they
// come. A failed event stays queued and is retried after the pause; one the broker
// refuses (4xx) is dropped with a log line, since retrying cannot change the answer.
void BrokerReporter::Run() {
  using Steady = std::chrono::steady_clock;
  bool registered = false;
  auto next_heartbeat = Steady::now();
  std::unique_lock lock(mu_);
  while (!stop_) {
    if (!registered) {
      lock.unlock();
      registered = Registered();
      lock.lock();
      next_heartbeat = Steady::now() + heartbeat_every_;
      if (!registered) wake_.wait_for(lock, kRetryPause, [this] { return stop_; });
      continue;
    }
    if (Steady::now() >= next_heartbeat) {
      lock.unlock();
      const std::string body = fmt::format(R"({{"desktopId":{}}})", json::serialize(json::value(desktop_id_)));
      auto status = PostJson(files_, broker_, "/api/agent/heartbeat", body, kCallTimeout);
      lock.lock();
      if (status && *status == 404) registered = false;  // the broker restarted
      next_heartbeat = Steady::now() + heartbeat_every_;
      continue;
    }
    if (!events_.empty()) {
      const BrokerEvent event = events_.front();
      lock.unlock();
      auto status = PostJson(files_, broker_, "/api/agent/events", EventBody(desktop_id_, event), kCallTimeout);
      lock.lock();
      if (status && *status >= 400 && *status < 500) {
        log::Main()->warn("broker refused a {} event: HTTP {}", event.type, *status);
      }
      if (status && *status < 500) {
        if (!events_.empty()) events_.pop_front();
      } else {
        wake_.wait_for(lock, kRetryPause, [this] { return stop_; });
      }
      continue;
    }
    wake_.wait_until(lock, next_heartbeat, [this] { return stop_ || !events_.empty(); });
  }
}

}  // namespace safedesk::agent
