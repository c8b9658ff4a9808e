#pragma once
// Setup the sandbox tests share: a test directory the desktop user can traverse with a
// dataset it may read, and the one pool and project the pool tests run.
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "config/config.h"
#include "tests/testing/test_support.h"

namespace safedesk::testing {

// `dir` traversable by the desktop user, with an empty dataset directory it may read.
inline std::filesystem::path DatasetIn(const TempDir& dir) {
  ::chmod(dir.path().c_str(), 0755);
  const std::filesystem::path dataset = dir.path() / "dataset";
  std::filesystem::create_directories(dataset);
  ::chmod(dataset.c_str(), 0755);
  return dataset;
}

// Pool "research" (2 desktops at most, 1 warm spare, 800×600) with the one project
// `project` on `dataset`; returns that project.
inline config::ProjectConfig& UseResearchPool(config::Config& config, const std::string& project,
                                              const std::filesystem::path& dataset) {
  config::PoolConfig pool;
  pool.name = "research";
  pool.max_desktops = 2;
  pool.warm_spares = 1;
  pool.screen = {800, 600};
  config.pools = {pool};
  config::ProjectConfig entry;
  entry.name = project;
  entry.pool = pool.name;
  entry.dataset_path = dataset;
  config.projects = {entry};
  return config.projects.front();
}

}  // namespace safedesk::testing
