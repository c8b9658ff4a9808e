#include "broker/store/sqlite_statement.h"

namespace safedesk::broker {

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
  rc_ = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr);
  if (rc_ != SQLITE_OK) error_ = sqlite3_errmsg(db);
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::Bind(std::string_view text) {
  if (rc_ == SQLITE_OK) {
    rc_ = sqlite3_bind_text(stmt_, next_bind_++, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    if (rc_ != SQLITE_OK) error_ = sqlite3_errmsg(db_);
  }
  return *this;
}

Statement& Statement::Bind(std::int64_t value) {
  if (rc_ == SQLITE_OK) {
    rc_ = sqlite3_bind_int64(stmt_, next_bind_++, value);
    if (rc_ != SQLITE_OK) error_ = sqlite3_errmsg(db_);
  }
  return *this;
}

Statement& Statement::Bind(std::span<const std::uint8_t> blob) {
  if (rc_ == SQLITE_OK) {
    rc_ = blob.empty() ? sqlite3_bind_null(stmt_, next_bind_++)
                       : sqlite3_bind_blob(stmt_, next_bind_++, blob.data(), static_cast<int>(blob.size()),
                                           SQLITE_TRANSIENT);
    if (rc_ != SQLITE_OK) error_ = sqlite3_errmsg(db_);
  }
  return *this;
}

bool Statement::Step() {
  if (rc_ != SQLITE_OK && rc_ != SQLITE_ROW) return false;
  rc_ = sqlite3_step(stmt_);
  if (rc_ == SQLITE_ROW) return true;
  if (rc_ == SQLITE_DONE) {
    rc_ = SQLITE_OK;
  } else {
    error_ = sqlite3_errmsg(db_);
  }
  return false;
}

Result<int> Statement::Run() {
  while (Step()) {
  }
  SAFEDESK_TRY(status());
  return sqlite3_changes(db_);
}

Result<void> Statement::status() const {
  if (rc_ == SQLITE_OK || rc_ == SQLITE_ROW) return Ok();
  const int primary = rc_ & 0xff;
  if (primary == SQLITE_CONSTRAINT) return MakeError(Errc::kAlreadyExists, "constraint: " + error_);
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) return MakeError(Errc::kUnavailable, "busy: " + error_);
  return MakeError(Errc::kIo, "sqlite: " + error_);
}

std::string Statement::Text(int column) const {
  const auto* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::int64_t Statement::Int(int column) const { return sqlite3_column_int64(stmt_, column); }

std::vector<std::uint8_t> Statement::Blob(int column) const {
  const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, column));
  const int size = sqlite3_column_bytes(stmt_, column);
  if (data == nullptr || size <= 0) return {};
  return {data, data + size};
}

Result<void> Exec(sqlite3* db, const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message != nullptr ? message : "unknown error";
    sqlite3_free(message);
    return MakeError(Errc::kIo, "sqlite: " + text);
  }
  return Ok();
}

}  // namespace safedesk::broker
