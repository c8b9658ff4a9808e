#pragma once
// SessionRegistry: every live browser connection of this gateway, for the limits
// (connections in total and per researcher), for terminate orders from the broker, and
// for /metrics. Thread-safe; sessions register a stop function that is safe to call from
// any thread.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace safedesk::gateway {

// The last 4096 frame-to-send delays, for percentiles.
class LatencyRing {
 public:
  void Add(std::chrono::microseconds delay);
  // q in [0, 1]; zero when empty.
  std::chrono::microseconds Quantile(double q) const;

 private:
  mutable std::mutex mu_;
  std::vector<std::uint32_t> samples_;
  std::size_t next_ = 0;
};

// Figures one session keeps current; read by /metrics.
struct SessionStats {
  LatencyRing frame_to_send;
  std::atomic<std::uint64_t> frames_in{0};    // frames painted by the desktop
  std::atomic<std::uint64_t> frames_out{0};   // frame messages sent to the browser
  std::atomic<std::uint64_t> bytes_out{0};
  std::atomic<std::uint64_t> encode_ns{0};
  std::atomic<std::uint64_t> observe_ns{0};   // time spent in the recorder seam (masking + queueing)
  std::atomic<std::uint64_t> queue_rects{0};  // pending rectangles right now
  std::atomic<std::uint64_t> relay_bytes{0};  // memory held by the relay
};

struct LiveSession {
  std::string session_id;
  std::string researcher;
  std::chrono::steady_clock::time_point since;
  std::shared_ptr<SessionStats> stats;
  std::function<void(const std::string& reason)> stop;  // any thread
};

struct RegistryLimits {
  int max_total = 64;
  int max_per_researcher = 2;
};

class SessionRegistry {
 public:
  explicit SessionRegistry(RegistryLimits limits);

  // A TCP connection arrives: false when the total cap is reached.
  bool ReserveConnection();
  void ReleaseConnection();

  // The ticket is redeemed: false when the researcher already has the maximum.
  bool Admit(LiveSession session);
  void Remove(const std::string& session_id);
  // A broker order: stops the session if it is here. True if it was.
  bool Terminate(const std::string& session_id, const std::string& reason);
  void TerminateAll(const std::string& reason);

  std::size_t connections() const { return connections_.load(); }
  std::vector<LiveSession> Snapshot() const;

  // Prometheus text exposition of the totals and per-session figures.
  std::string MetricsText() const;
  // Totals of sessions that ended, so counters never go backwards.
  void Retire(const SessionStats& stats);

 private:
  RegistryLimits limits_;
  std::atomic<int> connections_{0};
  mutable std::mutex mu_;
  std::map<std::string, LiveSession> sessions_;
  std::uint64_t retired_frames_ = 0;
  std::uint64_t retired_bytes_ = 0;
  std::uint64_t retired_encode_ns_ = 0;
  std::uint64_t sessions_total_ = 0;
};

}  // namespace safedesk::gateway
