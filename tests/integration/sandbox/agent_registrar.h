#pragma once
// The broker's agent registration endpoint as in-sandbox agents reach it (10.77.0.1, over
// mutual TLS with the test PKI), for the sandbox tests and the sandbox benchmark: it
// answers POST /api/agent/register and /heartbeat like the broker (broker/API.md
// "Components") and records, per desktop, whether the agent presenting CN
// "agent-<desktop id>" registered with every lockdown check passed and when it last spoke.
// Status() is what the provider asks (the broker's AgentRegistry::Readiness in production).

#include <boost/json.hpp>

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "broker/provider_desktop.h"
#include "tests/integration/agent/mtls_test_listener.h"

namespace safedesk::testing {

class AgentRegistrar {
 public:
  // `silent_after`: an agent that registered and has not spoken for this long is kSilent.
  AgentRegistrar(const TestPki& pki, std::chrono::milliseconds silent_after = std::chrono::seconds(3))
      : silent_after_(silent_after),
        listener_(pki, std::chrono::seconds(2), [this](SSL* ssl) { Answer(ssl); }, "10.77.0.1") {}

  std::uint16_t port() const { return listener_.port(); }

  broker::AgentStatus Status(const std::string& desktop_id) {
    std::lock_guard lock(mu_);
    const auto found = agents_.find(desktop_id);
    if (found == agents_.end()) return broker::AgentStatus::kUnknown;
    if (!found->second.lockdown_ok) return broker::AgentStatus::kLockdownFailed;
    if (std::chrono::steady_clock::now() - found->second.last > silent_after_) return broker::AgentStatus::kSilent;
    return broker::AgentStatus::kReady;
  }
  // Certificate CNs that tried to speak for a desktop other than their own.
  std::vector<std::string> Mismatches() {
    std::lock_guard lock(mu_);
    return mismatches_;
  }
  std::size_t Registrations() {
    std::lock_guard lock(mu_);
    return registrations_;
  }

 private:
  struct Agent {
    bool lockdown_ok = false;
    std::chrono::steady_clock::time_point last;
  };

  void Answer(SSL* ssl) {
    const std::string cn = MtlsTestListener::PeerCommonName(ssl);
    std::string data;
    std::size_t body_at = std::string::npos, length = 0;
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
    const bool is_register = data.rfind("POST /api/agent/register ", 0) == 0;
    boost::system::error_code ec;
    const boost::json::value body = boost::json::parse(data.substr(body_at, length), ec);
    const auto* object = body.if_object();
    const auto* id = object != nullptr ? object->if_contains("desktopId") : nullptr;
    if (ec || id == nullptr || !id->is_string()) return;
    const std::string desktop(id->as_string());
    std::string answer = "{}";
    {
      std::lock_guard lock(mu_);
      if (cn != "agent-" + desktop) {
        mismatches_.push_back(cn);
        return;
      }
      if (!is_register && agents_.count(desktop) == 0) {
        Reply(ssl, "404 Not Found", R"({"error":"not_registered"})");
        return;
      }
      Agent& agent = agents_[desktop];
      agent.last = std::chrono::steady_clock::now();
      if (is_register) {
        ++registrations_;
        const auto* lockdown = object->if_contains("lockdown");
        agent.lockdown_ok = lockdown != nullptr && lockdown->is_object() && lockdown->as_object().contains("ok") &&
                            lockdown->as_object().at("ok") == true;
        answer = R"({"heartbeatTimeoutMs":15000})";
      }
    }
    Reply(ssl, "200 OK", answer);
  }

  static void Reply(SSL* ssl, const std::string& status, const std::string& body) {
    const std::string http = "HTTP/1.1 " + status + "\r\nContent-Type: application/json\r\nContent-Length: " +
                             std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    std::size_t written = 0;
    SSL_write_ex(ssl, http.data(), http.size(), &written);
    SSL_shutdown(ssl);
  }

  std::chrono::milliseconds silent_after_;
  std::mutex mu_;
  std::map<std::string, Agent> agents_;
  std::vector<std::string> mismatches_;
  std::size_t registrations_ = 0;
  MtlsTestListener listener_;  // last: its thread stops before the state above goes
};

}  // namespace safedesk::testing
