#include "auth/webauthn_challenge_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/random.h"

namespace safedesk::auth {
namespace {

using std::chrono::seconds;

class FailingRandom final : public Random {
 public:
  Result<void> Fill(std::span<std::uint8_t>) override { return MakeError(Errc::kUnavailable, "no entropy"); }
};

class WebAuthnChallengeStoreTest : public ::testing::Test {
 protected:
  Ceremony Alice() { return Ceremony{"alice", CeremonyKind::kAssertion, std::vector<std::uint8_t>(32, 7), {}, true}; }
  std::string Reason(const Checked<Ceremony>& c) { return c.ok() ? "ok" : std::string(WebAuthnReasonName(c.reason())); }

  ManualClock clock_;
  SeededRandom random_{1};
  WebAuthnChallengeStore store_{clock_, random_, seconds(60), 3};
};

TEST_F(WebAuthnChallengeStoreTest, TakeReturnsWhatWasPut) {
  const std::string id = store_.Put(Alice()).value();
  Checked<Ceremony> taken = store_.Take(id);
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(taken.value().user, "alice");
  EXPECT_EQ(taken.value().challenge, std::vector<std::uint8_t>(32, 7));
}

TEST_F(WebAuthnChallengeStoreTest, IdsAreDistinct) {
  EXPECT_NE(store_.Put(Alice()).value(), store_.Put(Alice()).value());
}

TEST_F(WebAuthnChallengeStoreTest, SecondTakeIsAReuse) {
  const std::string id = store_.Put(Alice()).value();
  ASSERT_TRUE(store_.Take(id).ok());
  EXPECT_EQ(Reason(store_.Take(id)), "challenge_reused");
  EXPECT_EQ(store_.pending(), 0u);
}

TEST_F(WebAuthnChallengeStoreTest, ExpiresAfterTheTtl) {
  const std::string id = store_.Put(Alice()).value();
  clock_.Advance(seconds(60));
  EXPECT_EQ(Reason(store_.Take(id)), "challenge_expired");
  EXPECT_EQ(Reason(store_.Take(id)), "challenge_reused");
}

TEST_F(WebAuthnChallengeStoreTest, ReuseIsForgottenAfterAnotherTtl) {
  const std::string id = store_.Put(Alice()).value();
  ASSERT_TRUE(store_.Take(id).ok());
  clock_.Advance(seconds(61));
  EXPECT_EQ(Reason(store_.Take(id)), "challenge_unknown");
}

TEST_F(WebAuthnChallengeStoreTest, UnknownAndOverlongIdsAreUnknown) {
  EXPECT_EQ(Reason(store_.Take("nope")), "challenge_unknown");
  EXPECT_EQ(Reason(store_.Take("")), "challenge_unknown");
  EXPECT_EQ(Reason(store_.Take(std::string(10000, 'A'))), "challenge_unknown");
}

TEST_F(WebAuthnChallengeStoreTest, FullStoreRefusesNewCeremonies) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(store_.Put(Alice()).ok());
  Result<std::string> refused = store_.Put(Alice());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::kLimitExceeded);
}

TEST_F(WebAuthnChallengeStoreTest, ExpiredCeremoniesMakeRoom) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(store_.Put(Alice()).ok());
  clock_.Advance(seconds(60));
  EXPECT_TRUE(store_.Put(Alice()).ok());
  EXPECT_EQ(store_.pending(), 1u);
}

TEST_F(WebAuthnChallengeStoreTest, MemoryOfSpentIdsIsBounded) {
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) {
    ids.push_back(store_.Put(Alice()).value());
    ASSERT_TRUE(store_.Take(ids.back()).ok());
  }
  EXPECT_EQ(Reason(store_.Take(ids.back())), "challenge_reused");
  // The oldest spent id was forgotten to stay within capacity: still refused.
  EXPECT_FALSE(store_.Take(ids.front()).ok());
}

TEST_F(WebAuthnChallengeStoreTest, WithoutRandomnessNoCeremonyStarts) {
  FailingRandom failing;
  WebAuthnChallengeStore store(clock_, failing, seconds(60), 3);
  Result<std::string> id = store.Put(Alice());
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().code, Errc::kInternal);
}

TEST_F(WebAuthnChallengeStoreTest, ConcurrentTakesLetOnlyOneWin) {
  const std::string id = store_.Put(Alice()).value();
  std::atomic<int> winners = 0;
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      if (store_.Take(id).ok()) ++winners;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(winners.load(), 1);
}

}  // namespace
}  // namespace safedesk::auth
