#pragma once
// Store on one SQLite file: WAL, synchronous=FULL (an acknowledged state change survives
// a crash), foreign keys on, versioned migrations (schema_migrations.cc) applied at open.

#include <filesystem>
#include <memory>
#include <mutex>

#include "broker/store/store.h"

struct sqlite3;

namespace safedesk::broker {

class SqliteStore final : public Store {
 public:
  static Result<std::unique_ptr<SqliteStore>> Open(const std::filesystem::path& file);
  ~SqliteStore() override;

  int schema_version();

  Result<void> CreateUser(const UserRecord& user) override;
  Result<std::optional<UserRecord>> FindUser(const std::string& name) override;
  Result<std::vector<UserRecord>> ListUsers() override;
  Result<void> UpdateUser(const UserRecord& user) override;

  Result<std::int64_t> AddFactor(const FactorRecord& factor) override;
  Result<std::vector<FactorRecord>> ListFactors(const std::string& user) override;
  Result<void> ConfirmFactor(std::int64_t id) override;
  Result<void> RemoveFactor(const std::string& user, std::int64_t id) override;
  Result<FactorRemoval> RemoveFactorUnlessLast(const std::string& user, std::int64_t id) override;
  Result<bool> AdvanceTotpStep(std::int64_t id, std::int64_t step) override;
  Result<bool> AdvanceSignCount(std::int64_t id, std::int64_t count) override;

  Result<void> CreateRequest(const RequestRecord& request) override;
  Result<std::optional<RequestRecord>> GetRequest(const std::string& id) override;
  Result<std::vector<RequestRecord>> ListRequests(std::optional<std::string> user,
                                                  std::optional<RequestState> state) override;
  Result<RequestRecord> Decide(const DecisionRecord& decision, std::int64_t approved_until) override;
  Result<std::vector<DecisionRecord>> ListDecisions(const std::string& request_id) override;
  Result<bool> ConsumeApproval(const std::string& request_id, std::int64_t now) override;

  Result<void> CreateSession(const SessionRecord& session) override;
  Result<std::optional<SessionRecord>> GetSession(const std::string& id) override;
  Result<std::vector<SessionRecord>> ListSessions(bool live_only) override;
  Result<bool> EndSession(const std::string& id, std::int64_t at, const std::string& reason) override;

  Result<std::vector<ProjectRecord>> ListProjects() override;
  Result<std::optional<ProjectRecord>> FindProject(const std::string& name) override;
  Result<bool> PutProject(const ProjectRecord& project, std::int64_t expected_version) override;

  Result<void> PutWebSession(const WebSessionRecord& session) override;
  Result<std::optional<WebSessionRecord>> FindWebSession(const std::string& token_hash) override;
  Result<void> DeleteWebSession(const std::string& token_hash) override;

 private:
  explicit SqliteStore(sqlite3* db) : db_(db) {}
  Result<void> Migrate();
  Result<RequestRecord> DecideLocked(const DecisionRecord& decision, std::int64_t approved_until);

  std::mutex mu_;  // one connection, used by one thread at a time
  sqlite3* db_;
};

// The schema, one entry per version; applied in order inside a transaction each.
struct Migration {
  int version;
  const char* sql;
};
const std::vector<Migration>& SchemaMigrations();

}  // namespace safedesk::broker
