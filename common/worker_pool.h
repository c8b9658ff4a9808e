#pragma once
// A fixed set of threads with a bounded queue, for blocking work (PAM: ~2 s per failed
// attempt) that must never run on a network thread. When the queue is full, Submit
// refuses instead of growing: the caller answers "unavailable" (fail closed) rather than
// letting a flood of logins queue unbounded memory and latency.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace safedesk {

struct WorkerPoolOptions {
  std::size_t threads = 4;
  std::size_t queue_capacity = 64;  // tasks waiting, not counting the ones running
};

class WorkerPool {
 public:
  using Task = std::function<void()>;

  explicit WorkerPool(WorkerPoolOptions options);
  ~WorkerPool();  // Shutdown()
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`; false (and `task` is dropped unrun) when the queue is full or the pool
  // is shutting down. Tasks must not throw.
  [[nodiscard]] bool Submit(Task task);

  // Refuses new tasks, runs the ones already queued (their callers are waiting for an
  // answer), joins the threads. Idempotent; must not be called from a pool thread.
  void Shutdown();

  std::size_t queued() const;

 private:
  void Run();

  const WorkerPoolOptions options_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Task> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace safedesk
