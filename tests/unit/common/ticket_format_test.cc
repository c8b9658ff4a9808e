#include "common/ticket.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/encoding.h"
#include "common/random.h"

namespace safedesk {
namespace {

Ticket Sample() {
  Ticket t;
  t.session_id = "5f0c2a9e8b7d4c1a9e3f2b6d8a0c4e1f";
  t.researcher = "Alice Example";
  t.vm_endpoint = "[fd00::17]:3389";
  t.source_address = "10.8.0.17";
  t.grant_digest = Sha256(AsBytes("grant"));
  t.issued_at = 1'700'000'000;
  t.expires_at = 1'700'000'030;
  t.nonce = std::vector<std::uint8_t>(16, 0xab);
  t.audience = "gateway";
  return t;
}

// The largest ticket the caps allow.
Ticket Largest() {
  Ticket t = Sample();
  t.session_id.assign(kMaxTicketSessionIdSize, 's');
  t.researcher.assign(kMaxTicketResearcherSize, 'r');
  t.vm_endpoint = std::string(kMaxTicketVmEndpointSize - 6, 'h') + ":65535";
  t.source_address.assign(kMaxTicketSourceAddressSize, 'a');
  t.audience.assign(kMaxTicketAudienceSize, 'g');
  t.nonce.assign(kMaxTicketNonceSize, 1);
  return t;
}

TEST(TicketFormatTest, PayloadRoundTrip) {
  auto payload = EncodeTicketPayload(Sample());
  ASSERT_TRUE(payload.ok()) << payload.error().message;
  auto decoded = DecodeTicketPayload(*payload);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(*decoded, Sample());
}

TEST(TicketFormatTest, LargestTicketFitsTheTotalCap) {
  auto payload = EncodeTicketPayload(Largest());
  ASSERT_TRUE(payload.ok()) << payload.error().message;
  EXPECT_EQ(payload->size(), kMaxTicketPayloadSize);
  std::string text = JoinTicket(SignedTicket{*payload, {}});
  EXPECT_LE(text.size(), kMaxTicketSize);
  EXPECT_TRUE(SplitTicket(text).ok());
}

TEST(TicketFormatTest, TextRoundTrip) {
  SignedTicket st{EncodeTicketPayload(Sample()).value(), {}};
  st.signature.fill(7);
  auto split = SplitTicket(JoinTicket(st));
  ASSERT_TRUE(split.ok()) << split.error().message;
  EXPECT_EQ(split->payload, st.payload);
  EXPECT_EQ(split->signature, st.signature);
}

TEST(TicketFormatTest, SigningMessageIsDomainSeparated) {
  std::vector<std::uint8_t> payload{1, 2, 3};
  std::vector<std::uint8_t> message = TicketSigningMessage(payload);
  std::string_view label = "safedesk-ticket-v1";
  ASSERT_EQ(message.size(), label.size() + 1 + payload.size());
  EXPECT_EQ(AsText(std::span(message).first(label.size())), label);
  EXPECT_EQ(message[label.size()], 0);
}

TEST(TicketFormatTest, EncodeRefusesOversizedResearcher) {
  Ticket t = Sample();
  t.researcher.assign(kMaxTicketResearcherSize + 1, 'r');
  auto payload = EncodeTicketPayload(t);
  ASSERT_FALSE(payload.ok());
  EXPECT_EQ(payload.error().code, Errc::kLimitExceeded);
}

TEST(TicketFormatTest, DecodeRefusesDeclaredLengthAboveCap) {
  // Version, then a session id claiming 65 bytes (cap 64): refused before reading on.
  std::vector<std::uint8_t> payload{kTicketVersion, 0, static_cast<std::uint8_t>(kMaxTicketSessionIdSize + 1)};
  payload.resize(payload.size() + kMaxTicketSessionIdSize + 1, 's');
  auto decoded = DecodeTicketPayload(payload);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().code, Errc::kLimitExceeded);
}

TEST(TicketFormatTest, DecodeRefusesOversizedNonce) {
  std::vector<std::uint8_t> payload = EncodeTicketPayload(Sample()).value();
  payload.resize(payload.size() - 17);  // drop the nonce and its length byte
  payload.push_back(kMaxTicketNonceSize + 1);
  payload.resize(payload.size() + kMaxTicketNonceSize + 1, 0xab);
  auto decoded = DecodeTicketPayload(payload);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().code, Errc::kLimitExceeded);
}

TEST(TicketFormatTest, DecodeRefusesEveryTruncation) {
  std::vector<std::uint8_t> payload = EncodeTicketPayload(Sample()).value();
  for (std::size_t n = 0; n < payload.size(); ++n) {
    auto decoded = DecodeTicketPayload(std::span(payload).first(n));
    ASSERT_FALSE(decoded.ok()) << n;
    EXPECT_EQ(decoded.error().code, Errc::kInvalidArgument) << n;
  }
}

TEST(TicketFormatTest, DecodeRefusesTrailingBytes) {
  std::vector<std::uint8_t> payload = EncodeTicketPayload(Sample()).value();
  payload.push_back(0);
  EXPECT_FALSE(DecodeTicketPayload(payload).ok());
}

TEST(TicketFormatTest, DecodeRefusesUnknownVersion) {
  std::vector<std::uint8_t> payload = EncodeTicketPayload(Sample()).value();
  payload[0] = 2;
  EXPECT_FALSE(DecodeTicketPayload(payload).ok());
}

TEST(TicketFormatTest, EndpointNeedsAPort) {
  Ticket t = Sample();
  t.vm_endpoint = "vm-17";
  EXPECT_FALSE(EncodeTicketPayload(t).ok());
  t.vm_endpoint = "vm-17:70000";
  EXPECT_FALSE(EncodeTicketPayload(t).ok());
}

TEST(TicketFormatTest, ControlCharacterInResearcherIsRefused) {
  Ticket t = Sample();
  t.researcher = "alice\n";
  EXPECT_FALSE(EncodeTicketPayload(t).ok());
}

TEST(TicketFormatTest, SplitRefusesOversizedText) {
  auto split = SplitTicket(std::string(kMaxTicketSize + 1, 'A'));
  ASSERT_FALSE(split.ok());
  EXPECT_EQ(split.error().code, Errc::kLimitExceeded);
}

TEST(TicketFormatTest, SplitRefusesPadding) {
  SignedTicket st{EncodeTicketPayload(Sample()).value(), {}};
  EXPECT_FALSE(SplitTicket(JoinTicket(st) + "=").ok());
}

TEST(TicketFormatTest, SplitRefusesMissingSignature) {
  std::string text = JoinTicket(SignedTicket{EncodeTicketPayload(Sample()).value(), {}});
  EXPECT_FALSE(SplitTicket(text.substr(0, text.rfind('.'))).ok());
}

// Fuzz-style: random, truncated and mutated inputs, bounded in count; the assertion is
// that the parsers return (ok or an error) without crashing or tripping a sanitizer.
TEST(TicketFormatTest, ParsersSurviveRandomAndMutatedInput) {
  SeededRandom random(2024);
  std::vector<std::uint8_t> good = EncodeTicketPayload(Largest()).value();
  std::string good_text = JoinTicket(SignedTicket{good, {}});
  int accepted = 0;
  for (int i = 0; i < 4000; ++i) {
    std::vector<std::uint8_t> dice = random.Bytes(4).value();
    std::vector<std::uint8_t> payload = good;
    std::string text = good_text;
    switch (dice[0] % 3) {
      case 0:
        payload = random.Bytes(dice[1] * 3u).value();
        text = std::string(AsText(payload));
        break;
      case 1:
        payload.resize(dice[1] * payload.size() / 256);
        text.resize(dice[1] * text.size() / 256);
        break;
      default:
        payload[(dice[1] * 256u + dice[2]) % payload.size()] ^= static_cast<std::uint8_t>(dice[3] | 1);
        text[(dice[1] * 256u + dice[2]) % text.size()] = static_cast<char>(dice[3]);
        break;
    }
    accepted += DecodeTicketPayload(payload).ok() ? 1 : 0;
    accepted += SplitTicket(text).ok() ? 1 : 0;
  }
  EXPECT_GE(accepted, 0);
}

}  // namespace
}  // namespace safedesk
