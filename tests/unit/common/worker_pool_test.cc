#include "common/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace safedesk {
namespace {

TEST(WorkerPoolTest, RunsSubmittedTasks) {
  WorkerPool pool({2, 8});
  std::promise<int> result;
  ASSERT_TRUE(pool.Submit([&result] { result.set_value(42); }));
  EXPECT_EQ(result.get_future().get(), 42);
}

TEST(WorkerPoolTest, FullQueueRefuses) {
  WorkerPool pool({1, 1});
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::promise<void> started;
  ASSERT_TRUE(pool.Submit([gate, &started] {
    started.set_value();
    gate.wait();
  }));
  started.get_future().wait();       // the only thread is busy
  EXPECT_TRUE(pool.Submit([] {}));   // fills the queue
  EXPECT_FALSE(pool.Submit([] {}));  // refused, not queued
  EXPECT_EQ(pool.queued(), 1u);
  release.set_value();
}

TEST(WorkerPoolTest, ShutdownRunsQueuedTasksThenRefuses) {
  std::atomic<int> ran{0};
  WorkerPool pool({1, 16});
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  ASSERT_TRUE(pool.Submit([gate] { gate.wait(); }));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(pool.Submit([&ran] { ++ran; }));
  release.set_value();
  pool.Shutdown();
  EXPECT_EQ(ran, 5);  // every accepted task's caller got its answer
  EXPECT_FALSE(pool.Submit([&ran] { ++ran; }));
  pool.Shutdown();  // idempotent
  EXPECT_EQ(ran, 5);
}

TEST(WorkerPoolTest, DestructorJoins) {
  std::atomic<int> ran{0};
  {
    WorkerPool pool({3, 16});
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(pool.Submit([&ran] { ++ran; }));
  }
  EXPECT_EQ(ran, 10);
}

}  // namespace
}  // namespace safedesk
