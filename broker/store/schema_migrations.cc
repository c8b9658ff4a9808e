// The broker's SQLite schema as an ordered list of migrations. Never edit a released
// entry: add a new one. Version numbers are stored in schema_version.
#include <vector>

#include "broker/store/sqlite_store.h"

namespace safedesk::broker {

const std::vector<Migration>& SchemaMigrations() {
  static const std::vector<Migration> kMigrations = {
      {1, R"sql(
CREATE TABLE users (
  name TEXT PRIMARY KEY,
  display_name TEXT NOT NULL,
  roles TEXT NOT NULL,                 -- comma-separated role names
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE TABLE factors (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('totp', 'webauthn')),
  label TEXT NOT NULL,
  confirmed INTEGER NOT NULL DEFAULT 0,
  totp_secret_sealed TEXT NOT NULL DEFAULT '',
  totp_last_step INTEGER NOT NULL DEFAULT -1,
  credential_id BLOB UNIQUE,
  public_key BLOB,
  algorithm INTEGER NOT NULL DEFAULT 0,
  sign_count INTEGER NOT NULL DEFAULT 0,
  user_handle BLOB,
  created_at INTEGER NOT NULL
);
CREATE INDEX factors_by_user ON factors(user);
CREATE TABLE requests (
  id TEXT PRIMARY KEY,
  user TEXT NOT NULL REFERENCES users(name),
  project TEXT NOT NULL,
  purpose TEXT NOT NULL,
  duration_seconds INTEGER NOT NULL CHECK (duration_seconds > 0),
  state TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  approved_until INTEGER NOT NULL DEFAULT 0,
  approvals_needed INTEGER NOT NULL DEFAULT 1 CHECK (approvals_needed BETWEEN 1 AND 2)
);
CREATE INDEX requests_by_state ON requests(state);
CREATE TABLE decisions (
  request_id TEXT NOT NULL REFERENCES requests(id),
  approver TEXT NOT NULL,
  approved INTEGER NOT NULL,
  reason TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (request_id, approver)
);
CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  request_id TEXT NOT NULL UNIQUE REFERENCES requests(id),
  user TEXT NOT NULL,
  project TEXT NOT NULL,
  desktop TEXT NOT NULL,
  source TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  ended_at INTEGER NOT NULL DEFAULT 0,
  end_reason TEXT NOT NULL DEFAULT '',
  recording_id TEXT NOT NULL DEFAULT ''
);
CREATE TABLE web_sessions (
  token_hash TEXT PRIMARY KEY,
  user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
  source TEXT NOT NULL,
  csrf_token_hash TEXT NOT NULL,
  factors TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  step_up_at INTEGER NOT NULL DEFAULT 0
);
)sql"},
      {2, R"sql(
CREATE TABLE projects (
  name TEXT PRIMARY KEY,
  dataset_path TEXT NOT NULL,
  pool TEXT NOT NULL,
  max_duration_seconds INTEGER NOT NULL CHECK (max_duration_seconds > 0),
  idle_timeout_seconds INTEGER NOT NULL CHECK (idle_timeout_seconds > 0),
  require_two_approvers INTEGER NOT NULL,
  watermark INTEGER NOT NULL,
  allow_paste_in INTEGER NOT NULL,
  version INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  updated_by TEXT NOT NULL
);
CREATE TABLE project_members (
  project TEXT NOT NULL REFERENCES projects(name) ON DELETE CASCADE,
  user TEXT NOT NULL,
  PRIMARY KEY (project, user)
);
CREATE INDEX project_members_by_user ON project_members(user);
CREATE TABLE project_mask_rules (
  project TEXT NOT NULL REFERENCES projects(name) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  wm_class TEXT NOT NULL,
  title TEXT NOT NULL,
  PRIMARY KEY (project, position)
);
)sql"},
  };
  return kMigrations;
}

}  // namespace safedesk::broker
