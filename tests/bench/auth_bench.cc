// Per-core costs of the checks on the login and connect paths: TOTP verification (the
// whole ±1-step window is always computed, constant time), ticket issue and redemption
// (Ed25519 sign/verify plus the single-use nonce cache).
#include <benchmark/benchmark.h>

#include "auth/ticket_issuer.h"
#include "auth/ticket_redeemer.h"
#include "auth/totp.h"
#include "common/clock.h"
#include "common/random.h"

namespace safedesk {
namespace {

void BM_TotpVerify(benchmark::State& state) {
  ManualClock clock;
  auth::TotpVerifier verifier(auth::TotpOptions{}, clock);
  Secret secret(std::string_view("12345678901234567890"));
  auto code = auth::ComputeTotp(secret, auth::TotpParams{}, clock.Now());
  for (auto _ : state) {
    auto accepted = verifier.Verify(secret, *code, std::nullopt);
    benchmark::DoNotOptimize(accepted);
  }
}
BENCHMARK(BM_TotpVerify);

struct TicketFixture {
  ManualClock clock;
  SeededRandom random{1};
  std::vector<std::uint8_t> seed = *random.Bytes(32);
  Ed25519PrivateKey Key() const { return std::move(Ed25519PrivateKey::FromSeed(seed)).value(); }
  auth::TicketOptions options;
  auth::TicketRequest request{"s-1", "alice", "10.0.0.2:3389", "10.1.0.5", {}};
};

void BM_TicketIssue(benchmark::State& state) {
  TicketFixture f;
  auth::TicketIssuer issuer(f.Key(), f.options, f.clock, f.random);
  for (auto _ : state) {
    auto ticket = issuer.Issue(f.request);
    benchmark::DoNotOptimize(ticket);
  }
}
BENCHMARK(BM_TicketIssue);

void BM_TicketRedeem(benchmark::State& state) {
  TicketFixture f;
  f.options.nonce_cache_capacity = 1 << 22;
  auth::TicketIssuer issuer(f.Key(), f.options, f.clock, f.random);
  auth::TicketRedeemer redeemer(f.Key().public_key(), f.options, f.clock);
  for (auto _ : state) {
    state.PauseTiming();
    auto ticket = issuer.Issue(f.request);
    state.ResumeTiming();
    auto redeemed = redeemer.Redeem(ticket->text.reveal(), "10.1.0.5");
    benchmark::DoNotOptimize(redeemed);
  }
}
BENCHMARK(BM_TicketRedeem);

}  // namespace
}  // namespace safedesk
