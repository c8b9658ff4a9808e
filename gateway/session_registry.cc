#include "gateway/session_registry.h"

#include <algorithm>
#include <cstdint>

#include <fmt/format.h>

namespace safedesk::gateway {

void LatencyRing::Add(std::chrono::microseconds delay) {
  constexpr std::size_t kCapacity = 4096;
  const auto value = static_cast<std::uint32_t>(std::clamp<std::int64_t>(delay.count(), 0, UINT32_MAX));
  std::lock_guard lock(mu_);
  if (samples_.size() < kCapacity) {
    samples_.push_back(value);
  } else {
    samples_[next_] = value;
    next_ = (next_ + 1) % kCapacity;
  }
}

std::chrono::microseconds LatencyRing::Quantile(double q) const {
  std::vector<std::uint32_t> copy;
  {
    std::lock_guard lock(mu_);
    copy = samples_;
  }
  if (copy.empty()) return std::chrono::microseconds(0);
  const auto index = static_cast<std::size_t>(std::clamp(q, 0.0, 1.0) * static_cast<double>(copy.size() - 1));
  std::nth_element(copy.begin(), copy.begin() + static_cast<std::ptrdiff_t>(index), copy.end());
  return std::chrono::microseconds(copy[index]);
}

SessionRegistry::SessionRegistry(RegistryLimits limits) : limits_(limits) {}

bool SessionRegistry::ReserveConnection() {
  int current = connections_.load();
  while (current < limits_.max_total) {
    if (connections_.compare_exchange_weak(current, current + 1)) return true;
  }
  return false;
}

void SessionRegistry::ReleaseConnection() { connections_.fetch_sub(1); }

bool SessionRegistry::Admit(LiveSession session) {
  std::lock_guard lock(mu_);
  if (sessions_.contains(session.session_id)) return false;
  int mine = 0;
  for (const auto& [id, live] : sessions_) {
    if (live.researcher == session.researcher) ++mine;
  }
  if (mine >= limits_.max_per_researcher) return false;
  ++sessions_total_;
  std::string id = session.session_id;
  sessions_.emplace(std::move(id), std::move(session));
  return true;
}

void SessionRegistry::Remove(const std::string& session_id) {
  std::lock_guard lock(mu_);
  sessions_.erase(session_id);
}

bool SessionRegistry::Terminate(const std::string& session_id, const std::string& reason) {
  std::function<void(const std::string&)> stop;
  {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(session_id);
    if (it == sessions_.end()) return false;
    stop = it->second.stop;
  }
  if (stop) stop(reason);
  return true;
}

void SessionRegistry::TerminateAll(const std::string& reason) {
  std::vector<std::function<void(const std::string&)>> stops;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, live] : sessions_) stops.push_back(live.stop);
  }
  for (auto& stop : stops) {
    if (stop) stop(reason);
  }
}

std::vector<LiveSession> SessionRegistry::Snapshot() const {
  std::lock_guard lock(mu_);
  std::vector<LiveSession> out;
  for (const auto& [id, live] : sessions_) out.push_back(live);
  return out;
}

void SessionRegistry::Retire(const SessionStats& stats) {
  std::lock_guard lock(mu_);
  retired_frames_ += stats.frames_out.load();
  retired_bytes_ += stats.bytes_out.load();
  retired_encode_ns_ += stats.encode_ns.load();
}

std::string SessionRegistry::MetricsText() const {
  std::lock_guard lock(mu_);
  std::uint64_t frames = retired_frames_;
  std::uint64_t bytes = retired_bytes_;
  std::uint64_t encode_ns = retired_encode_ns_;
  std::string per_session;
  for (const auto& [id, live] : sessions_) {
    const SessionStats& s = *live.stats;
    frames += s.frames_out.load();
    bytes += s.bytes_out.load();
    encode_ns += s.encode_ns.load();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - live.since).count();
    per_session += fmt::format("safedesk_gateway_session_frames_per_second{{session=\"{}\"}} {:.2f}\n", id,
                               seconds > 0 ? static_cast<double>(s.frames_out.load()) / seconds : 0.0);
    per_session += fmt::format("safedesk_gateway_session_bytes_sent_total{{session=\"{}\"}} {}\n", id, s.bytes_out.load());
    per_session += fmt::format("safedesk_gateway_session_encode_seconds_total{{session=\"{}\"}} {:.6f}\n", id,
                               static_cast<double>(s.encode_ns.load()) / 1e9);
    per_session += fmt::format("safedesk_gateway_session_mask_seconds_total{{session=\"{}\"}} {:.6f}\n", id,
                               static_cast<double>(s.observe_ns.load()) / 1e9);
    per_session += fmt::format("safedesk_gateway_session_frame_to_send_seconds{{session=\"{}\",quantile=\"0.5\"}} {:.6f}\n", id,
                               static_cast<double>(s.frame_to_send.Quantile(0.5).count()) / 1e6);
    per_session += fmt::format("safedesk_gateway_session_frame_to_send_seconds{{session=\"{}\",quantile=\"0.99\"}} {:.6f}\n", id,
                               static_cast<double>(s.frame_to_send.Quantile(0.99).count()) / 1e6);
    per_session += fmt::format("safedesk_gateway_session_queue_rects{{session=\"{}\"}} {}\n", id, s.queue_rects.load());
    per_session += fmt::format("safedesk_gateway_session_relay_bytes{{session=\"{}\"}} {}\n", id, s.relay_bytes.load());
  }
  std::string out;
  out += "# HELP safedesk_gateway_connections Open browser connections.\n# TYPE safedesk_gateway_connections gauge\n";
  out += fmt::format("safedesk_gateway_connections {}\n", connections_.load());
  out += "# HELP safedesk_gateway_sessions Live sessions.\n# TYPE safedesk_gateway_sessions gauge\n";
  out += fmt::format("safedesk_gateway_sessions {}\n", sessions_.size());
  out += "# TYPE safedesk_gateway_sessions_admitted_total counter\n";
  out += fmt::format("safedesk_gateway_sessions_admitted_total {}\n", sessions_total_);
  out += "# TYPE safedesk_gateway_frames_sent_total counter\n";
  out += fmt::format("safedesk_gateway_frames_sent_total {}\n", frames);
  out += "# TYPE safedesk_gateway_bytes_sent_total counter\n";
  out += fmt::format("safedesk_gateway_bytes_sent_total {}\n", bytes);
  out += "# TYPE safedesk_gateway_encode_seconds_total counter\n";
  out += fmt::format("safedesk_gateway_encode_seconds_total {:.6f}\n", static_cast<double>(encode_ns) / 1e9);
  out += "# TYPE safedesk_gateway_session_frames_per_second gauge\n";
  out += "# TYPE safedesk_gateway_session_bytes_sent_total counter\n";
  out += "# TYPE safedesk_gateway_session_encode_seconds_total counter\n";
  out += "# TYPE safedesk_gateway_session_mask_seconds_total counter\n";
  out += "# TYPE safedesk_gateway_session_frame_to_send_seconds summary\n";
  out += "# TYPE safedesk_gateway_session_queue_rects gauge\n";
  out += "# TYPE safedesk_gateway_session_relay_bytes gauge\n";
  out += per_session;
  return out;
}

}  // namespace safedesk::gateway
