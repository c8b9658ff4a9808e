#pragma once
// Shared by the recorder tests: a recorder on a ManualClock and a full decode.

#include <functional>
#include <string>

#include "common/clock.h"
#include "common/random.h"
#include "common/recording_reader.h"
#include "gateway/recorder.h"
#include "recording/frame_codec.h"

namespace safedesk::gateway::testutil {

inline Ed25519PrivateKey SealKey() {
  std::array<std::uint8_t, 32> seed{};
  seed.fill(5);
  return Ed25519PrivateKey::FromSeed(seed).value();
}

inline void DecodeAll(const std::string& path, const std::function<void(const recording::DecodedFrame&)>& on_frame,
                      const std::function<void(const recording::DecodedKey&)>& on_key) {
  auto reader = recording::RecordingReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  const auto& h = (*reader)->header();
  recording::FrameDecoder decoder(int(h.width), int(h.height));
  for (std::size_t i = 0; i < (*reader)->index().size(); ++i) {
    auto payload = (*reader)->ReadChunk(i);
    ASSERT_TRUE(payload.ok()) << payload.error().message;
    auto done = decoder.DecodeChunk(*payload, on_frame, on_key);
    ASSERT_TRUE(done.ok()) << done.error().message;
  }
}

}  // namespace safedesk::gateway::testutil
