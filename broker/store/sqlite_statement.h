#pragma once
// A prepared SQLite statement with typed binds and column reads; errors become Result.

#include <sqlite3.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace safedesk::broker {

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& Bind(std::string_view text);
  Statement& Bind(std::int64_t value);
  Statement& Bind(std::span<const std::uint8_t> blob);

  // Advances: true with a row, false when done; an error is kept in status().
  bool Step();
  // Runs to completion; the number of rows changed.
  Result<int> Run();
  Result<void> status() const;

  std::string Text(int column) const;
  std::int64_t Int(int column) const;
  std::vector<std::uint8_t> Blob(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int next_bind_ = 1;
  int rc_ = SQLITE_OK;
  std::string error_;
};

// Runs SQL with no parameters (schema, pragmas, BEGIN/COMMIT).
Result<void> Exec(sqlite3* db, const char* sql);

}  // namespace safedesk::broker
