// The LAUNCH request's agent fields (sandbox/SANDBOX_PROTOCOL.md): they round-trip, and
// each is refused over its cap, when encoding and when a peer sends one.
#include "sandbox/sandbox_protocol.h"

#include <gtest/gtest.h>

namespace safedesk::sandbox {
namespace {

LaunchParams Params() {
  LaunchParams params;
  params.width = 800;
  params.height = 600;
  params.sam_line = Secret(std::string("u:::00112233445566778899aabbccddeeff:::\n"));
  params.dataset_path = "/srv/data/claims";
  params.agent_config = "[agent]\n";
  params.agent_cert = "-----BEGIN CERTIFICATE-----\nleaf\n-----END CERTIFICATE-----\n";
  params.agent_key = Secret(std::string("-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n"));
  params.agent_ca = "-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n";
  return params;
}

// The body of an encoded frame (after its u32 length).
std::span<const std::uint8_t> Body(const Secret& frame) { return frame.bytes().subspan(4); }

TEST(SandboxProtocolTest, LaunchCarriesTheAgentsCertificateKeyAndCa) {
  const LaunchParams params = Params();
  auto frame = EncodeRequest(Request::kLaunch, 3, &params);
  ASSERT_TRUE(frame.ok());
  auto decoded = DecodeRequest(Body(*frame));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded->sandbox, 3);
  EXPECT_EQ(decoded->launch.agent_cert, params.agent_cert);
  EXPECT_EQ(decoded->launch.agent_key.reveal(), params.agent_key.reveal());
  EXPECT_EQ(decoded->launch.agent_ca, params.agent_ca);
  EXPECT_EQ(decoded->launch.agent_config, params.agent_config);
}

TEST(SandboxProtocolTest, RefusesToEncodeAnAgentKeyOverItsCap) {
  LaunchParams params = Params();
  params.agent_key = Secret(std::string(kMaxAgentKey + 1, 'k'));
  auto frame = EncodeRequest(Request::kLaunch, 3, &params);
  ASSERT_FALSE(frame.ok());
  EXPECT_EQ(frame.error().code, Errc::kInvalidArgument);
}

TEST(SandboxProtocolTest, RefusesToEncodeAnAgentCertificateOverItsCap) {
  LaunchParams params = Params();
  params.agent_cert = std::string(kMaxAgentCert + 1, 'c');
  EXPECT_FALSE(EncodeRequest(Request::kLaunch, 3, &params).ok());
}

TEST(SandboxProtocolTest, RefusesToDecodeAnAgentCaOverItsCap) {
  LaunchParams params = Params();
  params.agent_ca.clear();
  auto frame = EncodeRequest(Request::kLaunch, 3, &params);
  ASSERT_TRUE(frame.ok());
  // Rewrite the last field (agent_ca, empty) as one announcing kMaxAgentCa + 1 bytes.
  std::vector<std::uint8_t> body(Body(*frame).begin(), Body(*frame).end());
  body.resize(body.size() - 2);
  const std::size_t n = kMaxAgentCa + 1;
  body.push_back(static_cast<std::uint8_t>(n >> 8));
  body.push_back(static_cast<std::uint8_t>(n & 0xff));
  body.insert(body.end(), n, 'a');
  EXPECT_FALSE(DecodeRequest(body).ok());
}

TEST(SandboxProtocolTest, RefusesALaunchMissingTheAgentFields) {
  const LaunchParams params = Params();
  auto frame = EncodeRequest(Request::kLaunch, 3, &params);
  ASSERT_TRUE(frame.ok());
  std::vector<std::uint8_t> body(Body(*frame).begin(), Body(*frame).end());
  // The same request as an older broker sent it: ends after agent_config.
  const std::size_t tail = 2 + params.agent_cert.size() + 2 + params.agent_key.size() + 2 + params.agent_ca.size();
  body.resize(body.size() - tail);
  EXPECT_FALSE(DecodeRequest(body).ok());
}

}  // namespace
}  // namespace safedesk::sandbox
