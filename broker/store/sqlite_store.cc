#include "broker/store/sqlite_store.h"

#include <sqlite3.h>

#include <sstream>

#include "broker/store/sqlite_statement.h"

namespace safedesk::broker {
namespace {

constexpr int kBusyTimeoutMs = 5000;  // another process (safedeskctl) may hold a write lock briefly

std::string JoinRoles(const std::vector<std::string>& roles) {
  std::string out;
  for (const auto& role : roles) {
    if (!out.empty()) out += ',';
    out += role;
  }
  return out;
}

std::vector<std::string> SplitRoles(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string role;
  while (std::getline(ss, role, ',')) {
    if (!role.empty()) out.push_back(role);
  }
  return out;
}

Result<RequestState> ParseRequestState(std::string_view text) {
  for (auto s : {RequestState::kPending, RequestState::kApproved, RequestState::kDenied, RequestState::kStarted,
                 RequestState::kExpired, RequestState::kCancelled}) {
    if (RequestStateName(s) == text) return s;
  }
  return MakeError(Errc::kCorrupt, "unknown request state in store");
}

UserRecord ReadUser(const Statement& s) {
  return {s.Text(0), s.Text(1), SplitRoles(s.Text(2)), s.Int(3) != 0, s.Int(4)};
}

constexpr const char* kFactorColumns =
    "id, user, kind, label, confirmed, totp_secret_sealed, totp_last_step, credential_id, public_key, "
    "algorithm, sign_count, user_handle, created_at";

FactorRecord ReadFactor(const Statement& s) {
  FactorRecord f;
  f.id = s.Int(0);
  f.user = s.Text(1);
  f.kind = s.Text(2) == "webauthn" ? FactorKind::kWebAuthn : FactorKind::kTotp;
  f.label = s.Text(3);
  f.confirmed = s.Int(4) != 0;
  f.totp_secret_sealed = s.Text(5);
  f.totp_last_step = s.Int(6);
  f.credential_id = s.Blob(7);
  f.public_key = s.Blob(8);
  f.algorithm = s.Int(9);
  f.sign_count = s.Int(10);
  f.user_handle = s.Blob(11);
  f.created_at = s.Int(12);
  return f;
}

constexpr const char* kRequestColumns =
    "id, user, project, purpose, duration_seconds, state, created_at, approved_until, approvals_needed";

Result<RequestRecord> ReadRequest(const Statement& s) {
  auto state = ParseRequestState(s.Text(5));
  if (!state) return state.error();
  return RequestRecord{s.Text(0), s.Text(1), s.Text(2), s.Text(3), s.Int(4), *state,
                       s.Int(6),  s.Int(7),  static_cast<int>(s.Int(8))};
}

constexpr const char* kSessionColumns =
    "id, request_id, user, project, desktop, source, started_at, ended_at, end_reason, recording_id";

SessionRecord ReadSession(const Statement& s) {
  return {s.Text(0), s.Text(1), s.Text(2), s.Text(3), s.Text(4),
          s.Text(5), s.Int(6),  s.Int(7),  s.Text(8), s.Text(9)};
}

constexpr const char* kProjectColumns =
    "name, dataset_path, pool, max_duration_seconds, idle_timeout_seconds, require_two_approvers, watermark, "
    "allow_paste_in, version, updated_at, updated_by";

ProjectRecord ReadProjectRow(const Statement& s) {
  ProjectRecord p;
  p.name = s.Text(0);
  p.dataset_path = s.Text(1);
  p.pool = s.Text(2);
  p.max_duration_seconds = s.Int(3);
  p.idle_timeout_seconds = s.Int(4);
  p.require_two_approvers = s.Int(5) != 0;
  p.watermark = s.Int(6) != 0;
  p.allow_paste_in = s.Int(7) != 0;
  p.version = s.Int(8);
  p.updated_at = s.Int(9);
  p.updated_by = s.Text(10);
  return p;
}

// Members (by name) and mask rules (in their order) of a project read by ReadProjectRow.
Result<void> ReadProjectChildren(sqlite3* db, ProjectRecord& p) {
  Statement members(db, "SELECT user FROM project_members WHERE project = ? ORDER BY user");
  members.Bind(p.name);
  while (members.Step()) p.members.push_back(members.Text(0));
  SAFEDESK_TRY(members.status());
  Statement rules(db, "SELECT wm_class, title FROM project_mask_rules WHERE project = ? ORDER BY position");
  rules.Bind(p.name);
  while (rules.Step()) p.mask_rules.push_back({rules.Text(0), rules.Text(1)});
  return rules.status();
}

// Rolls back unless committed: every multi-statement change is all-or-nothing.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db), begun_(Exec(db, "BEGIN IMMEDIATE").ok()) {}
  ~Transaction() {
    if (begun_ && !committed_) (void)Exec(db_, "ROLLBACK");
  }
  bool begun() const { return begun_; }
  Result<void> Commit() {
    SAFEDESK_TRY(Exec(db_, "COMMIT"));
    committed_ = true;
    return Ok();
  }

 private:
  sqlite3* db_;
  bool begun_;
  bool committed_ = false;
};

}  // namespace

std::string_view FactorKindName(FactorKind kind) { return kind == FactorKind::kTotp ? "totp" : "webauthn"; }

std::string_view RequestStateName(RequestState state) {
  switch (state) {
    case RequestState::kPending: return "pending";
    case RequestState::kApproved: return "approved";
    case RequestState::kDenied: return "denied";
    case RequestState::kStarted: return "started";
    case RequestState::kExpired: return "expired";
    case RequestState::kCancelled: return "cancelled";
  }
  return "unknown";
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::filesystem::path& file) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                                 nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return MakeError(Errc::kIo, file.string() + ": " + message);
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(db));
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  SAFEDESK_TRY(Exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"));
  SAFEDESK_TRY(store->Migrate());
  return store;
}

SqliteStore::~SqliteStore() { sqlite3_close(db_); }

int SqliteStore::schema_version() {
  std::lock_guard lock(mu_);
  Statement s(db_, "SELECT COALESCE(MAX(version), 0) FROM schema_version");
  return s.Step() ? static_cast<int>(s.Int(0)) : 0;
}

Result<void> SqliteStore::Migrate() {
  SAFEDESK_TRY(Exec(db_, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER)"));
  Statement current(db_, "SELECT COALESCE(MAX(version), 0) FROM schema_version");
  const std::int64_t have = current.Step() ? current.Int(0) : 0;
  SAFEDESK_TRY(current.status());
  const auto& migrations = SchemaMigrations();
  if (!migrations.empty() && have > migrations.back().version) {
    return MakeError(Errc::kCorrupt, "database schema is newer than this broker (version " + std::to_string(have) + ")");
  }
  for (const Migration& m : migrations) {
    if (m.version <= have) continue;
    Transaction tx(db_);
    if (!tx.begun()) return MakeError(Errc::kUnavailable, "cannot begin migration");
    SAFEDESK_TRY(Exec(db_, m.sql));
    SAFEDESK_TRY(Statement(db_, "INSERT INTO schema_version VALUES (?, strftime('%s','now'))").Bind(m.version).Run());
    SAFEDESK_TRY(tx.Commit());
  }
  return Ok();
}

Result<void> SqliteStore::CreateUser(const UserRecord& user) {
  std::lock_guard lock(mu_);
  Statement s(db_, "INSERT INTO users (name, display_name, roles, disabled, created_at) VALUES (?, ?, ?, ?, ?)");
  s.Bind(user.name).Bind(user.display_name).Bind(JoinRoles(user.roles)).Bind(std::int64_t{user.disabled}).Bind(user.created_at);
  SAFEDESK_TRY(s.Run());
  return Ok();
}

Result<std::optional<UserRecord>> SqliteStore::FindUser(const std::string& name) {
  std::lock_guard lock(mu_);
  Statement s(db_, "SELECT name, display_name, roles, disabled, created_at FROM users WHERE name = ?");
  s.Bind(name);
  if (s.Step()) return std::optional<UserRecord>(ReadUser(s));
  SAFEDESK_TRY(s.status());
  return std::optional<UserRecord>();
}

Result<std::vector<UserRecord>> SqliteStore::ListUsers() {
  std::lock_guard lock(mu_);
  Statement s(db_, "SELECT name, display_name, roles, disabled, created_at FROM users ORDER BY name");
  std::vector<UserRecord> out;
  while (s.Step()) out.push_back(ReadUser(s));
  SAFEDESK_TRY(s.status());
  return out;
}

Result<void> SqliteStore::UpdateUser(const UserRecord& user) {
  std::lock_guard lock(mu_);
  Statement s(db_, "UPDATE users SET display_name = ?, roles = ?, disabled = ? WHERE name = ?");
  s.Bind(user.display_name).Bind(JoinRoles(user.roles)).Bind(std::int64_t{user.disabled}).Bind(user.name);
  auto changed = s.Run();
  if (!changed) return changed.error();
  if (*changed == 0) return MakeError(Errc::kNotFound, "no such user");
  return Ok();
}

Result<std::int64_t> SqliteStore::AddFactor(const FactorRecord& f) {
  std::lock_guard lock(mu_);
  Statement s(db_,
              "INSERT INTO factors (user, kind, label, confirmed, totp_secret_sealed, totp_last_step, credential_id, "
              "public_key, algorithm, sign_count, user_handle, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  s.Bind(f.user).Bind(FactorKindName(f.kind)).Bind(f.label).Bind(std::int64_t{f.confirmed}).Bind(f.totp_secret_sealed)
      .Bind(f.totp_last_step).Bind(f.credential_id).Bind(f.public_key).Bind(f.algorithm).Bind(f.sign_count)
      .Bind(f.user_handle).Bind(f.created_at);
  SAFEDESK_TRY(s.Run());
  return std::int64_t{sqlite3_last_insert_rowid(db_)};
}

Result<std::vector<FactorRecord>> SqliteStore::ListFactors(const std::string& user) {
  std::lock_guard lock(mu_);
  Statement s(db_, std::string("SELECT ") + kFactorColumns + " FROM factors WHERE user = ? ORDER BY id");
  s.Bind(user);
  std::vector<FactorRecord> out;
  while (s.Step()) out.push_back(ReadFactor(s));
  SAFEDESK_TRY(s.status());
  return out;
}

Result<void> SqliteStore::ConfirmFactor(std::int64_t id) {
  std::lock_guard lock(mu_);
  auto changed = Statement(db_, "UPDATE factors SET confirmed = 1 WHERE id = ?").Bind(id).Run();
  if (!changed) return changed.error();
  if (*changed == 0) return MakeError(Errc::kNotFound, "no such factor");
  return Ok();
}

Result<void> SqliteStore::RemoveFactor(const std::string& user, std::int64_t id) {
  std::lock_guard lock(mu_);
  auto changed = Statement(db_, "DELETE FROM factors WHERE id = ? AND user = ?").Bind(id).Bind(user).Run();
  if (!changed) return changed.error();
  if (*changed == 0) return MakeError(Errc::kNotFound, "no such factor");
  return Ok();
}

Result<FactorRemoval> SqliteStore::RemoveFactorUnlessLast(const std::string& user, std::int64_t id) {
  std::lock_guard lock(mu_);
  // One statement: the count and the delete cannot interleave with another broker's.
  auto changed = Statement(db_,
                           "DELETE FROM factors WHERE id = ? AND user = ? AND (confirmed = 0 OR "
                           "(SELECT count(*) FROM factors WHERE user = ? AND confirmed = 1) > 1)")
                     .Bind(id).Bind(user).Bind(user).Run();
  if (!changed) return changed.error();
  if (*changed == 1) return FactorRemoval::kRemoved;
  Statement exists(db_, "SELECT 1 FROM factors WHERE id = ? AND user = ?");
  exists.Bind(id).Bind(user);
  const bool found = exists.Step();
  SAFEDESK_TRY(exists.status());
  return found ? FactorRemoval::kLastFactor : FactorRemoval::kNotFound;
}

Result<bool> SqliteStore::AdvanceTotpStep(std::int64_t id, std::int64_t step) {
  std::lock_guard lock(mu_);
  auto changed = Statement(db_, "UPDATE factors SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?")
                     .Bind(step).Bind(id).Bind(step).Run();
  if (!changed) return changed.error();
  return *changed == 1;
}

Result<bool> SqliteStore::AdvanceSignCount(std::int64_t id, std::int64_t count) {
  std::lock_guard lock(mu_);
  auto changed = Statement(db_,
                           "UPDATE factors SET sign_count = ? WHERE id = ? AND "
                           "(sign_count < ? OR (sign_count = 0 AND ? = 0))")
                     .Bind(count).Bind(id).Bind(count).Bind(count).Run();
  if (!changed) return changed.error();
  return *changed == 1;
}

Result<void> SqliteStore::CreateRequest(const RequestRecord& r) {
  std::lock_guard lock(mu_);
  Statement s(db_, std::string("INSERT INTO requests (") + kRequestColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  s.Bind(r.id).Bind(r.user).Bind(r.project).Bind(r.purpose).Bind(r.duration_seconds).Bind(RequestStateName(r.state))
      .Bind(r.created_at).Bind(r.approved_until).Bind(std::int64_t{r.approvals_needed});
  SAFEDESK_TRY(s.Run());
  return Ok();
}

Result<std::optional<RequestRecord>> SqliteStore::GetRequest(const std::string& id) {
  std::lock_guard lock(mu_);
  Statement s(db_, std::string("SELECT ") + kRequestColumns + " FROM requests WHERE id = ?");
  s.Bind(id);
  if (s.Step()) {
    auto r = ReadRequest(s);
    if (!r) return r.error();
    return std::optional<RequestRecord>(std::move(*r));
  }
  SAFEDESK_TRY(s.status());
  return std::optional<RequestRecord>();
}

Result<std::vector<RequestRecord>> SqliteStore::ListRequests(std::optional<std::string> user,
                                                             std::optional<RequestState> state) {
  std::lock_guard lock(mu_);
  Statement s(db_, std::string("SELECT ") + kRequestColumns +
                       " FROM requests WHERE (? = '' OR user = ?) AND (? = '' OR state = ?) ORDER BY created_at, id");
  const std::string u = user.value_or("");
  const std::string st = state ? std::string(RequestStateName(*state)) : "";
  s.Bind(u).Bind(u).Bind(st).Bind(st);
  std::vector<RequestRecord> out;
  while (s.Step()) {
    auto r = ReadRequest(s);
    if (!r) return r.error();
    out.push_back(std::move(*r));
  }
  SAFEDESK_TRY(s.status());
  return out;
}

Result<RequestRecord> SqliteStore::Decide(const DecisionRecord& d, std::int64_t approved_until) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  if (!tx.begun()) return MakeError(Errc::kUnavailable, "cannot begin transaction");
  auto decided = DecideLocked(d, approved_until);
  if (!decided) return decided.error();
  SAFEDESK_TRY(tx.Commit());
  return decided;
}

Result<RequestRecord> SqliteStore::DecideLocked(const DecisionRecord& d, std::int64_t approved_until) {
  Statement get(db_, std::string("SELECT ") + kRequestColumns + " FROM requests WHERE id = ?");
  get.Bind(d.request_id);
  if (!get.Step()) {
    SAFEDESK_TRY(get.status());
    return MakeError(Errc::kNotFound, "no such request");
  }
  auto request = ReadRequest(get);
  if (!request) return request.error();
  if (request->state != RequestState::kPending) return MakeError(Errc::kPermissionDenied, "request is not pending");
  if (request->user == d.approver) return MakeError(Errc::kPermissionDenied, "own request");
  auto inserted = Statement(db_, "INSERT INTO decisions (request_id, approver, approved, reason, at) VALUES (?, ?, ?, ?, ?)")
                      .Bind(d.request_id).Bind(d.approver).Bind(std::int64_t{d.approved}).Bind(d.reason).Bind(d.at).Run();
  if (!inserted) {
    if (inserted.error().code == Errc::kAlreadyExists) return MakeError(Errc::kPermissionDenied, "already decided by this approver");
    return inserted.error();
  }
  Statement count(db_, "SELECT COUNT(*) FROM decisions WHERE request_id = ? AND approved = 1");
  count.Bind(d.request_id);
  const std::int64_t approvals = count.Step() ? count.Int(0) : 0;
  if (!d.approved) {
    request->state = RequestState::kDenied;
  } else if (approvals >= request->approvals_needed) {
    request->state = RequestState::kApproved;
    request->approved_until = approved_until;
  }
  SAFEDESK_TRY(Statement(db_, "UPDATE requests SET state = ?, approved_until = ? WHERE id = ?")
                   .Bind(RequestStateName(request->state)).Bind(request->approved_until).Bind(request->id).Run());
  return request;
}

Result<std::vector<DecisionRecord>> SqliteStore::ListDecisions(const std::string& request_id) {
  std::lock_guard lock(mu_);
  Statement s(db_, "SELECT request_id, approver, approved, reason, at FROM decisions WHERE request_id = ? ORDER BY at");
  s.Bind(request_id);
  std::vector<DecisionRecord> out;
  while (s.Step()) out.push_back({s.Text(0), s.Text(1), s.Int(2) != 0, s.Text(3), s.Int(4)});
  SAFEDESK_TRY(s.status());
  return out;
}

Result<bool> SqliteStore::ConsumeApproval(const std::string& request_id, std::int64_t now) {
  std::lock_guard lock(mu_);
  auto changed = Statement(db_, "UPDATE requests SET state = 'started' WHERE id = ? AND state = 'approved' AND approved_until > ?")
                     .Bind(request_id).Bind(now).Run();
  if (!changed) return changed.error();
  return *changed == 1;
}

Result<void> SqliteStore::CreateSession(const SessionRecord& s) {
  std::lock_guard lock(mu_);
  Statement st(db_, std::string("INSERT INTO sessions (") + kSessionColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  st.Bind(s.id).Bind(s.request_id).Bind(s.user).Bind(s.project).Bind(s.desktop).Bind(s.source).Bind(s.started_at)
      .Bind(s.ended_at).Bind(s.end_reason).Bind(s.recording_id);
  SAFEDESK_TRY(st.Run());
  return Ok();
}

Result<std::optional<SessionRecord>> SqliteStore::GetSession(const std::string& id) {
  std::lock_guard lock(mu_);
  Statement s(db_, std::string("SELECT ") + kSessionColumns + " FROM sessions WHERE id = ?");
  s.Bind(id);
  if (s.Step()) return std::optional<SessionRecord>(ReadSession(s));
  SAFEDESK_TRY(s.status());
  return std::optional<SessionRecord>();
}

Result<std::vector<SessionRecord>> SqliteStore::ListSessions(bool live_only) {
  std::lock_guard lock(mu_);
  Statement s(db_, std::string("SELECT ") + kSessionColumns + " FROM sessions WHERE (? = 0 OR ended_at = 0) ORDER BY started_at");
  s.Bind(std::int64_t{live_only});
  std::vector<SessionRecord> out;
  while (s.Step()) out.push_back(ReadSession(s));
  SAFEDESK_TRY(s.status());
  return out;
}

Result<bool> SqliteStore::EndSession(const std::string& id, std::int64_t at, const std::string& reason) {
  std::lock_guard lock(mu_);
  auto changed = Statement(db_, "UPDATE sessions SET ended_at = ?, end_reason = ? WHERE id = ? AND ended_at = 0")
                     .Bind(at).Bind(reason).Bind(id).Run();
  if (!changed) return changed.error();
  return *changed == 1;
}

Result<std::vector<ProjectRecord>> SqliteStore::ListProjects() {
  std::lock_guard lock(mu_);
  Statement s(db_, std::string("SELECT ") + kProjectColumns + " FROM projects ORDER BY name");
  std::vector<ProjectRecord> out;
  while (s.Step()) out.push_back(ReadProjectRow(s));
  SAFEDESK_TRY(s.status());
  for (ProjectRecord& p : out) SAFEDESK_TRY(ReadProjectChildren(db_, p));
  return out;
}

Result<std::optional<ProjectRecord>> SqliteStore::FindProject(const std::string& name) {
  std::lock_guard lock(mu_);
  Statement s(db_, std::string("SELECT ") + kProjectColumns + " FROM projects WHERE name = ?");
  s.Bind(name);
  if (!s.Step()) {
    SAFEDESK_TRY(s.status());
    return std::optional<ProjectRecord>();
  }
  ProjectRecord p = ReadProjectRow(s);
  SAFEDESK_TRY(ReadProjectChildren(db_, p));
  return std::optional<ProjectRecord>(std::move(p));
}

Result<bool> SqliteStore::PutProject(const ProjectRecord& p, std::int64_t expected_version) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  if (!tx.begun()) return MakeError(Errc::kUnavailable, "cannot begin project update");
  std::int64_t stored = 0;
  {
    Statement s(db_, "SELECT version FROM projects WHERE name = ?");
    s.Bind(p.name);
    if (s.Step()) stored = s.Int(0);
    SAFEDESK_TRY(s.status());
  }
  if (stored != expected_version) return false;
  Statement upsert(db_,
                   "INSERT OR REPLACE INTO projects (name, dataset_path, pool, max_duration_seconds, "
                   "idle_timeout_seconds, require_two_approvers, watermark, allow_paste_in, version, updated_at, "
                   "updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  upsert.Bind(p.name).Bind(p.dataset_path).Bind(p.pool).Bind(p.max_duration_seconds).Bind(p.idle_timeout_seconds)
      .Bind(std::int64_t{p.require_two_approvers}).Bind(std::int64_t{p.watermark}).Bind(std::int64_t{p.allow_paste_in})
      .Bind(expected_version + 1).Bind(p.updated_at).Bind(p.updated_by);
  SAFEDESK_TRY(upsert.Run());
  // Members and rules are rewritten whole: a change is one document, like the admin's form.
  SAFEDESK_TRY(Statement(db_, "DELETE FROM project_members WHERE project = ?").Bind(p.name).Run());
  SAFEDESK_TRY(Statement(db_, "DELETE FROM project_mask_rules WHERE project = ?").Bind(p.name).Run());
  for (const std::string& member : p.members) {
    SAFEDESK_TRY(Statement(db_, "INSERT OR IGNORE INTO project_members (project, user) VALUES (?, ?)")
                     .Bind(p.name).Bind(member).Run());
  }
  for (std::size_t i = 0; i < p.mask_rules.size(); ++i) {
    SAFEDESK_TRY(Statement(db_, "INSERT INTO project_mask_rules (project, position, wm_class, title) VALUES (?, ?, ?, ?)")
                     .Bind(p.name).Bind(static_cast<std::int64_t>(i)).Bind(p.mask_rules[i].wm_class_regex)
                     .Bind(p.mask_rules[i].title_regex).Run());
  }
  SAFEDESK_TRY(tx.Commit());
  return true;
}

Result<void> SqliteStore::PutWebSession(const WebSessionRecord& w) {
  std::lock_guard lock(mu_);
  Statement s(db_,
              "INSERT OR REPLACE INTO web_sessions (token_hash, user, source, csrf_token_hash, factors, created_at, "
              "last_seen, step_up_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  s.Bind(w.token_hash).Bind(w.user).Bind(w.source).Bind(w.csrf_token_hash).Bind(w.factors).Bind(w.created_at)
      .Bind(w.last_seen).Bind(w.step_up_at);
  SAFEDESK_TRY(s.Run());
  return Ok();
}

Result<std::optional<WebSessionRecord>> SqliteStore::FindWebSession(const std::string& token_hash) {
  std::lock_guard lock(mu_);
  Statement s(db_,
              "SELECT token_hash, user, source, csrf_token_hash, factors, created_at, last_seen, step_up_at "
              "FROM web_sessions WHERE token_hash = ?");
  s.Bind(token_hash);
  if (s.Step()) {
    return std::optional<WebSessionRecord>(
        WebSessionRecord{s.Text(0), s.Text(1), s.Text(2), s.Text(3), s.Text(4), s.Int(5), s.Int(6), s.Int(7)});
  }
  SAFEDESK_TRY(s.status());
  return std::optional<WebSessionRecord>();
}

Result<void> SqliteStore::DeleteWebSession(const std::string& token_hash) {
  std::lock_guard lock(mu_);
  SAFEDESK_TRY(Statement(db_, "DELETE FROM web_sessions WHERE token_hash = ?").Bind(token_hash).Run());
  return Ok();
}

}  // namespace safedesk::broker
