#include "auth/totp.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>

#include "common/encoding.h"

namespace safedesk::auth {
namespace {

using std::chrono::seconds;

// RFC 6238 Appendix B seeds: the ASCII digits repeated to the hash's natural key size.
const std::string kSeed20 = "12345678901234567890";
const std::string kSeed32 = "12345678901234567890123456789012";
const std::string kSeed64 = "1234567890123456789012345678901234567890123456789012345678901234";

Clock::WallTime At(std::int64_t unix) { return Clock::WallTime(seconds(unix)); }

struct RfcVector {
  std::int64_t time;
  TotpAlgorithm algorithm;
  const char* code;
};

const std::string& SeedFor(TotpAlgorithm algorithm) {
  switch (algorithm) {
    case TotpAlgorithm::kSha1: return kSeed20;
    case TotpAlgorithm::kSha256: return kSeed32;
    case TotpAlgorithm::kSha512: return kSeed64;
  }
  return kSeed20;
}

void PrintTo(const RfcVector& v, std::ostream* os) {
  *os << v.time << "/" << TotpAlgorithmName(v.algorithm) << "/" << v.code;
}

// system_clock counts nanoseconds in 64 bits, which ends in 2262: the RFC's year-2603
// vector goes through the step-based entry point instead.
Result<Secret> CodeAtRfcTime(const std::string& seed, const TotpParams& params, std::int64_t unix) {
  constexpr std::int64_t kLastRepresentable = 9'000'000'000;
  if (unix > kLastRepresentable) return ComputeTotpAtStep(Secret(seed), params, static_cast<std::uint64_t>(unix / 30));
  return ComputeTotp(Secret(seed), params, At(unix));
}

class TotpRfcVectorTest : public ::testing::TestWithParam<RfcVector> {};

TEST_P(TotpRfcVectorTest, MatchesRfc6238AppendixB) {
  const RfcVector& v = GetParam();
  TotpParams params{v.algorithm, 8, seconds(30)};
  auto code = CodeAtRfcTime(SeedFor(v.algorithm), params, v.time);
  ASSERT_TRUE(code.ok()) << code.error().message;
  EXPECT_EQ(code->reveal(), v.code);
}

INSTANTIATE_TEST_SUITE_P(
    Rfc6238, TotpRfcVectorTest,
    ::testing::Values(RfcVector{59, TotpAlgorithm::kSha1, "94287082"},
                      RfcVector{59, TotpAlgorithm::kSha256, "46119246"},
                      RfcVector{59, TotpAlgorithm::kSha512, "90693936"},
                      RfcVector{1111111109, TotpAlgorithm::kSha1, "07081804"},
                      RfcVector{1111111109, TotpAlgorithm::kSha256, "68084774"},
                      RfcVector{1111111109, TotpAlgorithm::kSha512, "25091201"},
                      RfcVector{1111111111, TotpAlgorithm::kSha1, "14050471"},
                      RfcVector{1111111111, TotpAlgorithm::kSha256, "67062674"},
                      RfcVector{1111111111, TotpAlgorithm::kSha512, "99943326"},
                      RfcVector{1234567890, TotpAlgorithm::kSha1, "89005924"},
                      RfcVector{1234567890, TotpAlgorithm::kSha256, "91819424"},
                      RfcVector{1234567890, TotpAlgorithm::kSha512, "93441116"},
                      RfcVector{2000000000, TotpAlgorithm::kSha1, "69279037"},
                      RfcVector{2000000000, TotpAlgorithm::kSha256, "90698825"},
                      RfcVector{2000000000, TotpAlgorithm::kSha512, "38618901"},
                      RfcVector{20000000000, TotpAlgorithm::kSha1, "65353130"},
                      RfcVector{20000000000, TotpAlgorithm::kSha256, "77737706"},
                      RfcVector{20000000000, TotpAlgorithm::kSha512, "47863826"}));

TEST(TotpTest, SixDigitCodeIsLastSixOfEightDigitTruncation) {
  // Same truncated value mod 10^6: the low six digits of the 8-digit vector.
  auto code = ComputeTotp(Secret(kSeed20), TotpParams{TotpAlgorithm::kSha1, 6, seconds(30)}, At(59));
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(code->reveal(), "287082");
}

TEST(TotpTest, RefusesSevenDigits) {
  auto code = ComputeTotp(Secret(kSeed20), TotpParams{TotpAlgorithm::kSha1, 7, seconds(30)}, At(59));
  ASSERT_FALSE(code.ok());
  EXPECT_EQ(code.error().code, Errc::kInvalidArgument);
}

class TotpVerifierTest : public ::testing::Test {
 protected:
  static constexpr std::int64_t kNow = 1111111111;  // inside step 37037037
  static constexpr std::uint64_t kNowStep = 1111111111 / 30;

  Secret CodeAt(std::int64_t unix) { return std::move(ComputeTotp(secret_, options_.params, At(unix)).value()); }

  TotpOptions options_{TotpParams{TotpAlgorithm::kSha1, 6, seconds(30)}, 1};
  Secret secret_{kSeed20};
  ManualClock clock_{At(kNow)};
  TotpVerifier verifier_{options_, clock_};
};

TEST_F(TotpVerifierTest, AcceptsCurrentCodeAndReportsItsStep) {
  auto accepted = verifier_.Verify(secret_, CodeAt(kNow), std::nullopt);
  ASSERT_TRUE(accepted.ok()) << accepted.error().message;
  EXPECT_EQ(accepted->step, kNowStep);
}

TEST_F(TotpVerifierTest, AcceptsCodeOneStepEarly) {
  auto accepted = verifier_.Verify(secret_, CodeAt(kNow - 30), std::nullopt);
  ASSERT_TRUE(accepted.ok());
  EXPECT_EQ(accepted->step, kNowStep - 1);
}

TEST_F(TotpVerifierTest, AcceptsCodeOneStepLate) {
  auto accepted = verifier_.Verify(secret_, CodeAt(kNow + 30), std::nullopt);
  ASSERT_TRUE(accepted.ok());
  EXPECT_EQ(accepted->step, kNowStep + 1);
}

TEST_F(TotpVerifierTest, RejectsCodeTwoStepsEarly) {
  auto accepted = verifier_.Verify(secret_, CodeAt(kNow - 60), std::nullopt);
  ASSERT_FALSE(accepted.ok());
  EXPECT_EQ(accepted.error().code, Errc::kUnauthenticated);
}

TEST_F(TotpVerifierTest, RejectsCodeTwoStepsLate) {
  auto accepted = verifier_.Verify(secret_, CodeAt(kNow + 60), std::nullopt);
  ASSERT_FALSE(accepted.ok());
  EXPECT_EQ(accepted.error().code, Errc::kUnauthenticated);
}

TEST_F(TotpVerifierTest, RejectsSameStepTwice) {
  auto first = verifier_.Verify(secret_, CodeAt(kNow), std::nullopt);
  ASSERT_TRUE(first.ok());
  auto second = verifier_.Verify(secret_, CodeAt(kNow), first->step);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, Errc::kReplay);
}

TEST_F(TotpVerifierTest, RejectsEarlierStepAfterLaterWasAccepted) {
  auto later = verifier_.Verify(secret_, CodeAt(kNow + 30), std::nullopt);
  ASSERT_TRUE(later.ok());
  auto earlier = verifier_.Verify(secret_, CodeAt(kNow), later->step);
  ASSERT_FALSE(earlier.ok());
  EXPECT_EQ(earlier.error().code, Errc::kReplay);
}

TEST_F(TotpVerifierTest, StoreRejectsSameCodeTwiceForOneUser) {
  MemoryTotpStepStore store;
  Secret code = CodeAt(kNow);
  ASSERT_TRUE(store.VerifyAndRecord(verifier_, "alice", secret_, code).ok());
  clock_.Advance(seconds(5));
  auto again = store.VerifyAndRecord(verifier_, "alice", secret_, code);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::kReplay);
  EXPECT_EQ(store.LastAccepted("alice"), kNowStep);
}

TEST_F(TotpVerifierTest, StoreKeepsUsersApart) {
  MemoryTotpStepStore store;
  ASSERT_TRUE(store.VerifyAndRecord(verifier_, "alice", secret_, CodeAt(kNow)).ok());
  EXPECT_TRUE(store.VerifyAndRecord(verifier_, "bob", secret_, CodeAt(kNow)).ok());
}

TEST_F(TotpVerifierTest, RejectsWrongLengthBeforeHmac) {
  auto accepted = verifier_.Verify(secret_, Secret(std::string_view("12345")), std::nullopt);
  ASSERT_FALSE(accepted.ok());
  EXPECT_EQ(accepted.error().code, Errc::kInvalidArgument);
}

TEST_F(TotpVerifierTest, RejectsNonDigits) {
  auto accepted = verifier_.Verify(secret_, Secret(std::string_view("12a456")), std::nullopt);
  ASSERT_FALSE(accepted.ok());
  EXPECT_EQ(accepted.error().code, Errc::kInvalidArgument);
}

TEST_F(TotpVerifierTest, ErrorNeverContainsTheCode) {
  Secret code = CodeAt(kNow - 90);
  auto accepted = verifier_.Verify(secret_, code, std::nullopt);
  ASSERT_FALSE(accepted.ok());
  EXPECT_EQ(accepted.error().message.find(code.reveal()), std::string::npos);
}

TEST(TotpOptionsTest, RefusesSkewAboveTwo) {
  EXPECT_FALSE(ValidateTotpOptions(TotpOptions{TotpParams{}, 3}).ok());
}

}  // namespace
}  // namespace safedesk::auth
