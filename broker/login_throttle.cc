#include "broker/login_throttle.h"

namespace safedesk::broker {

LoginThrottle::LoginThrottle(Clock& clock, LoginThrottleOptions options) : clock_(clock), options_(options) {}

bool LoginThrottle::Allowed(std::string_view user) {
  const auto now = clock_.Monotonic();
  std::lock_guard lock(mu_);
  auto it = failures_.find(user);
  if (it == failures_.end()) {
    if (failures_.size() >= options_.capacity) PruneLocked(now);
    return failures_.size() < options_.capacity;
  }
  auto& times = it->second;
  while (!times.empty() && now - times.front() >= options_.window) times.pop_front();
  return static_cast<int>(times.size()) < options_.threshold;
}

void LoginThrottle::RecordFailure(std::string_view user) {
  const auto now = clock_.Monotonic();
  std::lock_guard lock(mu_);
  auto it = failures_.find(user);
  if (it == failures_.end()) {
    if (failures_.size() >= options_.capacity) PruneLocked(now);
    if (failures_.size() >= options_.capacity) return;  // Allowed() refuses new users meanwhile
    it = failures_.emplace(std::string(user), std::deque<Clock::SteadyTime>{}).first;
  }
  it->second.push_back(now);
  // Only the last `threshold` failures decide; older ones need not be kept.
  while (static_cast<int>(it->second.size()) > options_.threshold) it->second.pop_front();
}

void LoginThrottle::RecordSuccess(std::string_view user) {
  std::lock_guard lock(mu_);
  if (auto it = failures_.find(user); it != failures_.end()) failures_.erase(it);
}

void LoginThrottle::PruneLocked(Clock::SteadyTime now) {
  std::erase_if(failures_, [&](const auto& entry) {
    return entry.second.empty() || now - entry.second.back() >= options_.window;
  });
}

}  // namespace safedesk::broker
