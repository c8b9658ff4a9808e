// Lockout alone, and PasswordChecker with a fake verifier (the PAM-backed cases are in
// tests/integration/pam).

#include "auth/lockout.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <string>

#include "auth/password_checker.h"
#include "common/audit_event.h"
#include "common/clock.h"
#include "common/worker_pool.h"

namespace safedesk::auth {
namespace {

using std::chrono::seconds;

const std::string* FindString(const AuditEvent& event, std::string_view key) {
  const auto* value = event.Find(key);
  return value != nullptr ? std::get_if<std::string>(value) : nullptr;
}

class LockoutTest : public ::testing::Test {
 protected:
  LockoutOptions Options(std::size_t cap = 100) {
    return LockoutOptions{3, seconds(60), seconds(900), cap};
  }
  ManualClock clock_;
  MemoryAuditSink audit_;
};

TEST_F(LockoutTest, LocksAtThresholdAndAuditsEveryFailure) {
  Lockout lockout(Options(), clock_, audit_);
  for (int i = 0; i < 2; ++i) lockout.RecordFailure("alice", "", "wrong_password");
  EXPECT_EQ(lockout.Check("alice", ""), LockState::kOpen);
  lockout.RecordFailure("alice", "", "wrong_password");
  EXPECT_EQ(lockout.Check("alice", ""), LockState::kAccountLocked);
  EXPECT_EQ(audit_.CountOfType("login.failure"), 3u);
  ASSERT_EQ(audit_.CountOfType("login.lockout"), 1u);
  const AuditEvent locked = audit_.events().back();
  ASSERT_NE(FindString(locked, "subject_kind"), nullptr);
  EXPECT_EQ(*FindString(locked, "subject_kind"), "account");
  EXPECT_EQ(*FindString(locked, "subject"), "alice");
}

TEST_F(LockoutTest, FailuresOutsideTheWindowDoNotCount) {
  Lockout lockout(Options(), clock_, audit_);
  lockout.RecordFailure("alice", "", "wrong_password");
  lockout.RecordFailure("alice", "", "wrong_password");
  clock_.Advance(seconds(61));
  lockout.RecordFailure("alice", "", "wrong_password");
  EXPECT_EQ(lockout.Check("alice", ""), LockState::kOpen);
}

TEST_F(LockoutTest, LockExpires) {
  Lockout lockout(Options(), clock_, audit_);
  for (int i = 0; i < 3; ++i) lockout.RecordFailure("alice", "", "wrong_password");
  clock_.Advance(seconds(899));
  EXPECT_EQ(lockout.Check("alice", ""), LockState::kAccountLocked);
  clock_.Advance(seconds(1));
  EXPECT_EQ(lockout.Check("alice", ""), LockState::kOpen);
}

TEST_F(LockoutTest, SourceLocksIndependently) {
  Lockout lockout(Options(), clock_, audit_);
  lockout.RecordFailure("a", "203.0.113.9", "unknown_user");
  lockout.RecordFailure("b", "203.0.113.9", "unknown_user");
  lockout.RecordFailure("c", "203.0.113.9", "unknown_user");
  EXPECT_EQ(lockout.Check("alice", "203.0.113.9"), LockState::kSourceLocked);
  EXPECT_EQ(lockout.Check("alice", "192.0.2.1"), LockState::kOpen);
}

TEST_F(LockoutTest, SuccessResetsAccountButNotSource) {
  Lockout lockout(Options(), clock_, audit_);
  lockout.RecordFailure("alice", "203.0.113.9", "wrong_password");
  lockout.RecordFailure("alice", "203.0.113.9", "wrong_password");
  lockout.RecordSuccess("alice");
  lockout.RecordFailure("bob", "203.0.113.9", "wrong_password");
  EXPECT_EQ(lockout.Check("alice", ""), LockState::kOpen);
  EXPECT_EQ(lockout.Check("carol", "203.0.113.9"), LockState::kSourceLocked);
}

TEST_F(LockoutTest, RefusalsAreAuditedNotCounted) {
  Lockout lockout(Options(), clock_, audit_);
  for (int i = 0; i < 5; ++i) lockout.RecordRefusal("alice", "", "unavailable");
  EXPECT_EQ(lockout.Check("alice", ""), LockState::kOpen);
  EXPECT_EQ(audit_.CountOfType("login.failure"), 5u);
}

TEST_F(LockoutTest, MemoryIsBoundedByEvictingUnlockedEntries) {
  Lockout lockout(Options(10), clock_, audit_);
  for (int i = 0; i < 1000; ++i)
    lockout.RecordFailure("user" + std::to_string(i), "", "unknown_user");
  EXPECT_LE(lockout.tracked_accounts(), 10u);
}

TEST_F(LockoutTest, EvictionNeverUnlocksAndFullTableFailsClosed) {
  Lockout lockout(Options(2), clock_, audit_);
  for (const char* user : {"a", "b"}) {
    for (int i = 0; i < 3; ++i) lockout.RecordFailure(user, "", "wrong_password");
  }
  // Both tracked subjects are locked: a third cannot be tracked, so it is refused.
  lockout.RecordFailure("c", "", "wrong_password");
  EXPECT_EQ(lockout.Check("a", ""), LockState::kAccountLocked);
  EXPECT_EQ(lockout.Check("b", ""), LockState::kAccountLocked);
  EXPECT_EQ(lockout.Check("c", ""), LockState::kTrackingFull);
  clock_.Advance(seconds(900));  // locks expired: their entries may go
  EXPECT_EQ(lockout.Check("c", ""), LockState::kOpen);
}

// A verifier that answers from a fixed script and can be held to fill the pool.
class FakeVerifier final : public PasswordVerifier {
 public:
  PasswordOutcome Verify(std::string_view, Secret password, std::string_view) override {
    ++calls;
    if (hold) gate.wait();
    return password.reveal() == "right" ? PasswordOutcome::kAccepted
                                        : PasswordOutcome::kWrongPassword;
  }
  std::atomic<int> calls{0};
  bool hold = false;
  std::shared_future<void> gate;
};

class PasswordCheckerTest : public LockoutTest {
 protected:
  PasswordOutcome Check(PasswordChecker& checker, std::string user, std::string_view password) {
    std::promise<PasswordOutcome> done;
    auto answer = done.get_future();
    checker.CheckAsync(std::move(user), Secret(password), "192.0.2.1",
                       [&done](PasswordOutcome outcome) { done.set_value(outcome); });
    return answer.get();
  }
  FakeVerifier verifier_;
};

TEST_F(PasswordCheckerTest, LockedAccountNeverReachesTheVerifier) {
  Lockout lockout(Options(), clock_, audit_);
  WorkerPool pool({1, 4});
  PasswordChecker checker(verifier_, lockout, pool);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(Check(checker, "alice", "wrong"), PasswordOutcome::kWrongPassword);
  EXPECT_EQ(Check(checker, "alice", "right"), PasswordOutcome::kLockedOut);
  EXPECT_EQ(verifier_.calls, 3);
}

TEST_F(PasswordCheckerTest, EmptyAndMalformedNeverReachTheVerifier) {
  Lockout lockout(Options(), clock_, audit_);
  WorkerPool pool({1, 4});
  PasswordChecker checker(verifier_, lockout, pool);
  EXPECT_EQ(Check(checker, "alice", ""), PasswordOutcome::kEmptyPassword);
  EXPECT_EQ(Check(checker, std::string(300, 'a'), "right"), PasswordOutcome::kUnknownUser);
  EXPECT_EQ(Check(checker, "al\nice", "right"), PasswordOutcome::kUnknownUser);
  EXPECT_EQ(verifier_.calls, 0);
  EXPECT_EQ(audit_.CountOfType("login.failure"), 3u);
}

TEST_F(PasswordCheckerTest, FullPoolAnswersUnavailable) {
  Lockout lockout(Options(), clock_, audit_);
  std::promise<void> release;
  verifier_.hold = true;
  verifier_.gate = release.get_future().share();
  WorkerPool pool({1, 1});
  PasswordChecker checker(verifier_, lockout, pool);
  std::promise<PasswordOutcome> first, second;
  checker.CheckAsync("a", Secret("right"), "", [&](PasswordOutcome o) { first.set_value(o); });
  while (verifier_.calls == 0) std::this_thread::yield();  // the only thread is now busy
  checker.CheckAsync("b", Secret("right"), "", [&](PasswordOutcome o) { second.set_value(o); });
  // Third attempt: thread busy, queue full → refused on the caller's thread.
  EXPECT_EQ(Check(checker, "c", "right"), PasswordOutcome::kUnavailable);
  release.set_value();
  EXPECT_EQ(first.get_future().get(), PasswordOutcome::kAccepted);
  EXPECT_EQ(second.get_future().get(), PasswordOutcome::kAccepted);
  pool.Shutdown();
}

}  // namespace
}  // namespace safedesk::auth
