#pragma once
// The session recorder: a SessionObserver that masks every frame and appends it to a
// hash-chained recording (common/RECORDING_FORMAT.md). The relay's thread only copies
// the changed pixels into a bounded queue; the recorder's own thread holds each frame
// and key until the agent has reported after it (MaskCompositor::Resolve: a window can
// move between the agent's last report and a frame), then masks, encodes and writes, so
// a slow disk never stalls the relay. Fail closed: a full queue or a failed write makes OnFrame and
// OnInput return an error (the session ends) and fires the failure callback.

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/clock.h"
#include "common/crypto.h"
#include "common/random.h"
#include "common/recording_writer.h"
#include "gateway/mask_compositor.h"
#include "gateway/session_seam.h"
#include "recording/frame_codec.h"

namespace safedesk::gateway {

enum class KeyPolicy { kFull, kRedacted, kNever };      // for keys while focus is sensitive
enum class PointerPolicy { kFull, kClicks, kOff };

struct RecorderOptions {
  std::string path;  // the recording file to create
  std::string session_id;
  int width = 0;
  int height = 0;
  std::chrono::milliseconds chunk_duration{4000};
  int queue_frames = 120;
  MaskPolicy masks;
  KeyPolicy sensitive_keys = KeyPolicy::kRedacted;
  PointerPolicy pointer = PointerPolicy::kFull;
  std::string key_id;  // names the AES key when encrypting
};

class Recorder final : public SessionObserver {
 public:
  // Audit reasons the failure callback receives.
  static constexpr const char* kBackpressure = "recording_backpressure";
  static constexpr const char* kFailed = "recording_failed";
  // The session's end reason when its recording cannot even be created.
  static constexpr const char* kCannotStart = "recording_failed: cannot create the recording";
  using FailureCallback = std::function<void(const std::string& reason)>;

  static Result<std::unique_ptr<Recorder>> Start(RecorderOptions options, Ed25519PrivateKey seal_key,
                                                 std::optional<Secret> aead_key, Clock& clock,
                                                 Random& random, FailureCallback on_failure);
  ~Recorder() override;

  Result<void> OnFrame(const FrameView& frame) override;
  Result<void> OnInput(const InputEvent& event) override;
  void OnMasks(const MaskSnapshot& masks) override;
  void OnEnd(const std::string& reason) override;
  // Drains the queue, writes the last chunk and seals. Idempotent.
  Result<void> Finish();

 private:
  struct Item;
  Recorder(RecorderOptions options, std::unique_ptr<recording::RecordingWriter> writer, Clock& clock,
           FailureCallback on_failure);
  Result<void> Push(std::unique_ptr<Item> item);
  void Fail(const char* reason, const std::string& detail);
  void Run();
  Result<void> Process(Item& item);
  Result<void> CloseChunk();

  RecorderOptions options_;
  std::unique_ptr<recording::RecordingWriter> writer_;
  Clock& clock_;
  FailureCallback on_failure_;
  MaskCompositor compositor_;
  std::chrono::system_clock::time_point start_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Item>> queue_;
  bool closing_ = false;
  bool failed_ = false;
  bool finished_ = false;
  std::optional<Error> error_;
  std::thread thread_;

  // Writer-thread state.
  std::vector<std::uint8_t> mirror_;  // the unmasked desktop (memory only)
  std::vector<std::uint8_t> masked_;  // what the recording sees
  std::vector<Rect> last_masks_;
  bool last_full_ = true;
  bool first_frame_ = true;
  recording::FrameEncoder encoder_;
  recording::ChunkStats stats_;
  bool chunk_open_ = false;
  std::int64_t last_ms_ = 0;
};

}  // namespace safedesk::gateway
