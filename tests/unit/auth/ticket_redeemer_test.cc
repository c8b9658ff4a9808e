#include "auth/ticket_redeemer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "auth/ticket_issuer.h"
#include "common/encoding.h"

namespace safedesk::auth {
namespace {

using std::chrono::seconds;

constexpr std::string_view kPeer = "10.8.0.17";

class TicketRedeemerTest : public ::testing::Test {
 protected:
  TicketRedeemerTest()
      : key_(Ed25519PrivateKey::Generate(random_).value()),
        issuer_(Ed25519PrivateKey::FromSeed(Seed()).value(), TicketOptions{}, clock_, random_),
        redeemer_(Ed25519PrivateKey::FromSeed(Seed()).value().public_key(), TicketOptions{}, clock_) {}

  static std::vector<std::uint8_t> Seed() { return std::vector<std::uint8_t>(32, 0x42); }

  TicketRequest Request() {
    TicketRequest r;
    r.session_id = "5f0c2a9e8b7d4c1a9e3f2b6d8a0c4e1f";
    r.researcher = "alice";
    r.vm_endpoint = "vm-17.pool.internal:3389";
    r.source_address = std::string(kPeer);
    r.grant_digest = Sha256(AsBytes("grant"));
    return r;
  }
  std::string IssueText() {
    auto issued = issuer_.Issue(Request());
    EXPECT_TRUE(issued.ok()) << issued.error().message;
    return std::string(issued->text.reveal());
  }
  // Re-signs a ticket with the broker's key, for claims the issuer would never produce.
  std::string Forge(const Ticket& ticket) {
    auto key = Ed25519PrivateKey::FromSeed(Seed()).value();
    SignedTicket st;
    st.payload = EncodeTicketPayload(ticket).value();
    st.signature = key.Sign(TicketSigningMessage(st.payload));
    return JoinTicket(st);
  }
  Ticket Claims() {
    return DecodeTicketPayload(SplitTicket(IssueText()).value().payload).value();
  }
  TicketRejection RejectionOf(std::string_view text, std::string_view peer = kPeer) {
    Redemption r = redeemer_.Redeem(text, peer);
    EXPECT_FALSE(r.ok());
    return r.rejection();
  }

  SeededRandom random_{3};
  ManualClock clock_;
  Ed25519PrivateKey key_;
  TicketIssuer issuer_;
  TicketRedeemer redeemer_;
};

TEST_F(TicketRedeemerTest, RoundTripCarriesEveryField) {
  Redemption r = redeemer_.Redeem(IssueText(), kPeer);
  ASSERT_TRUE(r.ok()) << TicketRejectionName(r.rejection());
  const Ticket& t = r.ticket();
  EXPECT_EQ(t.session_id, Request().session_id);
  EXPECT_EQ(t.researcher, "alice");
  EXPECT_EQ(t.vm_endpoint, "vm-17.pool.internal:3389");
  EXPECT_EQ(t.source_address, kPeer);
  EXPECT_EQ(t.grant_digest, Request().grant_digest);
  EXPECT_EQ(t.audience, "gateway");
  EXPECT_EQ(t.expires_at - t.issued_at, 30);
  EXPECT_EQ(t.nonce.size(), kTicketNonceSize);
}

TEST_F(TicketRedeemerTest, TamperedPayloadByteIsBadSignature) {
  std::string text = IssueText();
  std::size_t at = text.find('.') + 10;  // inside the payload's base64url
  text[at] = text[at] == 'A' ? 'B' : 'A';
  EXPECT_EQ(RejectionOf(text), TicketRejection::kBadSignature);
}

TEST_F(TicketRedeemerTest, TamperedSignatureByteIsBadSignature) {
  std::string text = IssueText();
  std::size_t at = text.rfind('.') + 5;  // inside the signature's base64url
  text[at] = text[at] == 'A' ? 'B' : 'A';
  EXPECT_EQ(RejectionOf(text), TicketRejection::kBadSignature);
}

TEST_F(TicketRedeemerTest, OtherBrokerKeyIsBadSignature) {
  TicketIssuer other(std::move(key_), TicketOptions{}, clock_, random_);
  EXPECT_EQ(RejectionOf(std::string(other.Issue(Request()).value().text.reveal())), TicketRejection::kBadSignature);
}

TEST_F(TicketRedeemerTest, ExpiredAtExactExpiry) {
  std::string text = IssueText();
  clock_.Advance(seconds(30));
  EXPECT_EQ(RejectionOf(text), TicketRejection::kExpired);
}

TEST_F(TicketRedeemerTest, AcceptedJustBeforeExpiry) {
  std::string text = IssueText();
  clock_.Advance(seconds(29));
  EXPECT_TRUE(redeemer_.Redeem(text, kPeer).ok());
}

TEST_F(TicketRedeemerTest, IssuedInTheFutureIsNotYetValid) {
  std::string text = IssueText();
  clock_.Advance(-seconds(6));  // beyond the 5 s skew allowance
  EXPECT_EQ(RejectionOf(text), TicketRejection::kNotYetValid);
}

TEST_F(TicketRedeemerTest, SmallClockSkewIsTolerated) {
  std::string text = IssueText();
  clock_.Advance(-seconds(4));
  EXPECT_TRUE(redeemer_.Redeem(text, kPeer).ok());
}

TEST_F(TicketRedeemerTest, WrongAudienceIsRejected) {
  Ticket t = Claims();
  t.audience = "broker";
  EXPECT_EQ(RejectionOf(Forge(t)), TicketRejection::kWrongAudience);
}

TEST_F(TicketRedeemerTest, LifetimeLongerThanTtlIsRejected) {
  Ticket t = Claims();
  t.expires_at = t.issued_at + 3600;
  EXPECT_EQ(RejectionOf(Forge(t)), TicketRejection::kMalformed);
}

TEST_F(TicketRedeemerTest, OtherSourceAddressIsRejected) {
  EXPECT_EQ(RejectionOf(IssueText(), "10.8.0.99"), TicketRejection::kWrongSource);
}

TEST_F(TicketRedeemerTest, SecondRedemptionIsReplayed) {
  std::string text = IssueText();
  ASSERT_TRUE(redeemer_.Redeem(text, kPeer).ok());
  EXPECT_EQ(RejectionOf(text), TicketRejection::kReplayed);
}

TEST_F(TicketRedeemerTest, RejectedTicketDoesNotConsumeItsNonce) {
  std::string text = IssueText();
  EXPECT_EQ(RejectionOf(text, "10.8.0.99"), TicketRejection::kWrongSource);
  EXPECT_TRUE(redeemer_.Redeem(text, kPeer).ok());
}

TEST_F(TicketRedeemerTest, ConcurrentRedemptionsAcceptExactlyOne) {
  std::string text = IssueText();
  std::atomic<int> accepted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] { accepted += redeemer_.Redeem(text, kPeer).ok() ? 1 : 0; });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(accepted.load(), 1);
}

TEST_F(TicketRedeemerTest, FullNonceCacheRefusesNewTickets) {
  TicketOptions small;
  small.nonce_cache_capacity = 2;
  TicketRedeemer redeemer(Ed25519PrivateKey::FromSeed(Seed()).value().public_key(), small, clock_);
  ASSERT_TRUE(redeemer.Redeem(IssueText(), kPeer).ok());
  ASSERT_TRUE(redeemer.Redeem(IssueText(), kPeer).ok());
  std::string third = IssueText();
  Redemption r = redeemer.Redeem(third, kPeer);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.rejection(), TicketRejection::kNonceCacheFull);
  EXPECT_EQ(r.ToError().code, Errc::kUnavailable);
}

TEST_F(TicketRedeemerTest, NonceCacheFreesRoomWhenTicketsExpire) {
  TicketOptions small;
  small.nonce_cache_capacity = 1;
  TicketRedeemer redeemer(Ed25519PrivateKey::FromSeed(Seed()).value().public_key(), small, clock_);
  ASSERT_TRUE(redeemer.Redeem(IssueText(), kPeer).ok());
  clock_.Advance(seconds(30));
  EXPECT_TRUE(redeemer.Redeem(IssueText(), kPeer).ok());
  EXPECT_EQ(redeemer.remembered_nonces(), 1u);
}

TEST_F(TicketRedeemerTest, OversizedTicketIsTooLarge) {
  EXPECT_EQ(RejectionOf(std::string(kMaxTicketSize + 1, 'A')), TicketRejection::kTooLarge);
}

TEST_F(TicketRedeemerTest, TruncatedTicketIsMalformed) {
  std::string text = IssueText();
  EXPECT_EQ(RejectionOf(text.substr(0, text.size() / 2)), TicketRejection::kMalformed);
}

TEST_F(TicketRedeemerTest, RejectionNamesAreStable) {
  EXPECT_EQ(TicketRejectionName(TicketRejection::kBadSignature), "bad_signature");
  EXPECT_EQ(TicketRejectionName(TicketRejection::kExpired), "expired");
  EXPECT_EQ(TicketRejectionName(TicketRejection::kNotYetValid), "not_yet_valid");
  EXPECT_EQ(TicketRejectionName(TicketRejection::kWrongAudience), "wrong_audience");
  EXPECT_EQ(TicketRejectionName(TicketRejection::kReplayed), "replayed");
  EXPECT_EQ(TicketRejectionName(TicketRejection::kMalformed), "malformed");
  EXPECT_EQ(TicketRejectionName(TicketRejection::kTooLarge), "too_large");
}

TEST(TicketIssuerTest, RefusesOversizedField) {
  SeededRandom random(1);
  ManualClock clock;
  TicketIssuer issuer(Ed25519PrivateKey::Generate(random).value(), TicketOptions{}, clock, random);
  TicketRequest r;
  r.session_id = "s1";
  r.researcher = std::string(kMaxTicketResearcherSize + 1, 'a');
  r.vm_endpoint = "vm:3389";
  r.source_address = "10.0.0.1";
  auto issued = issuer.Issue(r);
  ASSERT_FALSE(issued.ok());
  EXPECT_EQ(issued.error().code, Errc::kLimitExceeded);
}

}  // namespace
}  // namespace safedesk::auth
