#pragma once
// The broker's state behind one interface, so PostgreSQL can follow SQLite. Records are
// plain structs; every mutation that must not race (consuming an approval, accepting a
// TOTP time step, advancing a WebAuthn counter) is one atomic call here, not a
// read-then-write in the caller. Times are Unix seconds.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/session_grant.h"

namespace safedesk::broker {

struct UserRecord {
  std::string name;
  std::string display_name;
  std::vector<std::string> roles;
  bool disabled = false;
  std::int64_t created_at = 0;
};

enum class FactorKind { kTotp, kWebAuthn };
std::string_view FactorKindName(FactorKind kind);

struct FactorRecord {
  std::int64_t id = 0;
  std::string user{};
  FactorKind kind = FactorKind::kTotp;
  std::string label{};
  bool confirmed = false;             // TOTP: after the first valid code
  std::string totp_secret_sealed{};     // FactorSecretBox output; never the plain secret
  std::int64_t totp_last_step = -1;   // last accepted time step (replay guard)
  std::vector<std::uint8_t> credential_id{};
  std::vector<std::uint8_t> public_key{};  // COSE
  std::int64_t algorithm = 0;
  std::int64_t sign_count = 0;
  std::vector<std::uint8_t> user_handle{};
  std::int64_t created_at = 0;
};

enum class RequestState { kPending, kApproved, kDenied, kStarted, kExpired, kCancelled };
std::string_view RequestStateName(RequestState state);

struct RequestRecord {
  std::string id;
  std::string user;
  std::string project;
  std::string purpose;
  std::int64_t duration_seconds = 0;
  RequestState state = RequestState::kPending;
  std::int64_t created_at = 0;
  std::int64_t approved_until = 0;  // an approval binds one start before this time
  int approvals_needed = 1;
};

struct DecisionRecord {
  std::string request_id;
  std::string approver;
  bool approved = false;
  std::string reason;
  std::int64_t at = 0;
};

struct SessionRecord {
  std::string id;
  std::string request_id;
  std::string user;
  std::string project;
  std::string desktop;
  std::string source;
  std::int64_t started_at = 0;
  std::int64_t ended_at = 0;  // 0 while live
  std::string end_reason;
  std::string recording_id;
};

// A project as administrators edit it (seeded once from the configuration's [[projects]]).
struct ProjectRecord {
  std::string name;
  std::vector<std::string> members;
  std::string dataset_path;  // absolute; mounted read-only into the project's desktops
  std::string pool;          // names a [[pools]] entry of the configuration
  std::int64_t max_duration_seconds = 0;
  std::int64_t idle_timeout_seconds = 0;
  bool require_two_approvers = false;
  bool watermark = true;
  bool allow_paste_in = false;
  std::vector<MaskRule> mask_rules;  // ECMAScript regexes; empty field: any
  std::int64_t version = 0;          // 1 when created, +1 with every change
  std::int64_t updated_at = 0;
  std::string updated_by;            // "config" when seeded from the file
};

enum class FactorRemoval { kRemoved, kNotFound, kLastFactor };

struct WebSessionRecord {
  std::string token_hash;  // SHA-256 of the cookie value, hex; the cookie itself is never stored
  std::string user;
  std::string source;
  std::string csrf_token_hash;
  std::string factors;        // e.g. "password+totp"
  std::int64_t created_at = 0;
  std::int64_t last_seen = 0;
  std::int64_t step_up_at = 0;  // last fresh second-factor check
};

class Store {
 public:
  virtual ~Store() = default;

  virtual Result<void> CreateUser(const UserRecord& user) = 0;
  virtual Result<std::optional<UserRecord>> FindUser(const std::string& name) = 0;
  virtual Result<std::vector<UserRecord>> ListUsers() = 0;
  virtual Result<void> UpdateUser(const UserRecord& user) = 0;

  virtual Result<std::int64_t> AddFactor(const FactorRecord& factor) = 0;
  virtual Result<std::vector<FactorRecord>> ListFactors(const std::string& user) = 0;
  virtual Result<void> ConfirmFactor(std::int64_t id) = 0;
  virtual Result<void> RemoveFactor(const std::string& user, std::int64_t id) = 0;
  // Removes `id` unless it is `user`'s last confirmed factor, as one atomic step (two
  // brokers on one database cannot both remove one of the last two).
  virtual Result<FactorRemoval> RemoveFactorUnlessLast(const std::string& user, std::int64_t id) = 0;
  // Accepts `step` only if it is newer than the stored one; false means replay.
  virtual Result<bool> AdvanceTotpStep(std::int64_t id, std::int64_t step) = 0;
  // Stores a WebAuthn counter only if it increases (0→0 allowed); false means regression.
  virtual Result<bool> AdvanceSignCount(std::int64_t id, std::int64_t count) = 0;

  virtual Result<void> CreateRequest(const RequestRecord& request) = 0;
  virtual Result<std::optional<RequestRecord>> GetRequest(const std::string& id) = 0;
  virtual Result<std::vector<RequestRecord>> ListRequests(std::optional<std::string> user,
                                                          std::optional<RequestState> state) = 0;
  // Records a decision; moves the request to approved (once enough distinct approvers
  // agreed, with the window ending at approved_until) or denied. Refuses a decision on a
  // request that is not pending and a second decision by the same approver.
  virtual Result<RequestRecord> Decide(const DecisionRecord& decision, std::int64_t approved_until) = 0;
  virtual Result<std::vector<DecisionRecord>> ListDecisions(const std::string& request_id) = 0;
  // approved → started, only before approved_until: the approval binds exactly one session.
  virtual Result<bool> ConsumeApproval(const std::string& request_id, std::int64_t now) = 0;

  virtual Result<void> CreateSession(const SessionRecord& session) = 0;
  virtual Result<std::optional<SessionRecord>> GetSession(const std::string& id) = 0;
  virtual Result<std::vector<SessionRecord>> ListSessions(bool live_only) = 0;
  virtual Result<bool> EndSession(const std::string& id, std::int64_t at, const std::string& reason) = 0;

  virtual Result<std::vector<ProjectRecord>> ListProjects() = 0;
  virtual Result<std::optional<ProjectRecord>> FindProject(const std::string& name) = 0;
  // Writes `project` with version expected_version + 1, only if the stored version is
  // expected_version (0: only if no such project exists). False: someone else changed it.
  virtual Result<bool> PutProject(const ProjectRecord& project, std::int64_t expected_version) = 0;

  virtual Result<void> PutWebSession(const WebSessionRecord& session) = 0;
  virtual Result<std::optional<WebSessionRecord>> FindWebSession(const std::string& token_hash) = 0;
  virtual Result<void> DeleteWebSession(const std::string& token_hash) = 0;
};

}  // namespace safedesk::broker
