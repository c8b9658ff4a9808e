// DesktopPool over the real HostProcessProvider (Xvfb + freerdp-shadow-cli): warm spares
// started ahead, handed out once and replaced, the per-pool limit, spares bound to their
// project's dataset, failed or late spares discarded, and in-use desktops whose process
// died or whose session ended. Processes are killed by the PIDs of the X servers this
// test's provider started (the X lock file of the desktop's display names it).
#include "broker/desktop_pool.h"

#include <signal.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <thread>

#include "broker/projects.h"
#include "broker/provider_host_process.h"
#include "broker/store/sqlite_store.h"
#include "common/random.h"
#include "tests/testing/test_support.h"

namespace safedesk::broker {
namespace {

namespace fs = std::filesystem;

constexpr const char* kClaims = "claims";
constexpr const char* kCancer = "cancer";

class DesktopPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_.path() / "claims");
    fs::create_directories(dir_.path() / "cancer");
    HostProcessOptions options;
    options.runtime_dir = dir_.path() / "desktops";
    options.stop_grace = std::chrono::milliseconds(500);
    provider_ = std::make_unique<HostProcessProvider>(options, SystemRandom());
    auto store = SqliteStore::Open(dir_.path() / "state.sqlite");
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(*store);
  }

  // One pool "research" serving two projects with their own datasets.
  void Configure(int max_desktops, int warm_spares, std::vector<std::string> projects = {kClaims}) {
    config::PoolConfig pool;
    pool.name = "research";
    pool.max_desktops = max_desktops;
    pool.warm_spares = warm_spares;
    pool.screen = {640, 480};
    config_.pools = {pool};
    config_.projects.clear();
    for (const std::string& name : projects) {
      config::ProjectConfig project;
      project.name = name;
      project.pool = "research";
      project.dataset_path = dir_.path() / name;
      config_.projects.push_back(project);
      // Projects live in the store (broker/projects.h); the file only seeds it.
      ASSERT_TRUE(store_->PutProject(ProjectFromConfig(project), 0).ok());
    }
  }

  DesktopPool& Pool(DesktopPoolOptions options = {}) {
    pool_ = std::make_unique<DesktopPool>(*provider_, config_, *store_, clock_, audit_, options);
    return *pool_;
  }

  DesktopSpec SessionSpec(const std::string& project, const std::string& session) {
    auto record = store_->FindProject(project);
    ProjectRecord unknown;
    unknown.name = project;
    return DesktopSpecFor(config_, record.ok() && record->has_value() ? **record : unknown, session);
  }

  // Maintains until `done` (bounded: 20 s; desktops start in well under a second).
  bool MaintainUntil(const std::function<bool()>& done) {
    for (int i = 0; i < 400; ++i) {
      pool_->Maintain();
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  bool SpareReady(const std::string& project, std::size_t n = 1) {
    return MaintainUntil([&] { return pool_->ReadySpareIds(project).size() == n; });
  }

  bool Listed(const std::string& id) {
    for (const DesktopInfo& info : pool_->List()) {
      if (info.id == id) return true;
    }
    return false;
  }

  // Kills the desktop's X server, which this test's provider started.
  void KillXServer(const std::string& id) {
    std::string display;
    for (const DesktopInfo& info : provider_->List()) {
      if (info.id == id) display = info.display.substr(1);
    }
    ASSERT_FALSE(display.empty());
    std::ifstream lock("/tmp/.X" + display + "-lock");
    pid_t pid = 0;
    lock >> pid;
    ASSERT_GT(pid, 0);
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
  }

  testing::TempDir dir_;
  config::Config config_;
  ManualClock clock_;
  MemoryAuditSink audit_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<HostProcessProvider> provider_;
  std::unique_ptr<DesktopPool> pool_;  // destroyed first: it stops its desktops
};

TEST_F(DesktopPoolTest, StartsWarmSparesAheadOfDemand) {
  Configure(2, 1);
  DesktopPool& pool = Pool();
  pool.Maintain();
  EXPECT_EQ(pool.SpareIds(kClaims).size(), 1u);
  EXPECT_TRUE(SpareReady(kClaims));
  EXPECT_EQ(provider_->List().size(), 1u);
}

TEST_F(DesktopPoolTest, SessionTakesTheReadySpare) {
  Configure(2, 1);
  DesktopPool& pool = Pool();
  ASSERT_TRUE(SpareReady(kClaims));
  const std::string spare = pool.ReadySpareIds(kClaims).front();
  auto handle = pool.Start(SessionSpec(kClaims, "s-1"));
  ASSERT_TRUE(handle.ok()) << handle.error().message;
  EXPECT_EQ(handle->id, spare);
  EXPECT_FALSE(handle->password.empty());
  EXPECT_EQ(*pool.Probe(spare), DesktopState::kReady);
  ASSERT_EQ(pool.List().size(), 1u);
  EXPECT_EQ(pool.List()[0].session_id, "s-1");
  EXPECT_TRUE(pool.SpareIds(kClaims).empty());
}

TEST_F(DesktopPoolTest, ReplacesASpareOnceHandedOut) {
  Configure(2, 1);
  DesktopPool& pool = Pool();
  ASSERT_TRUE(SpareReady(kClaims));
  auto handle = pool.Start(SessionSpec(kClaims, "s-1"));
  ASSERT_TRUE(handle.ok());
  ASSERT_TRUE(SpareReady(kClaims));
  EXPECT_NE(pool.ReadySpareIds(kClaims).front(), handle->id);
  EXPECT_EQ(pool.List().size(), 2u);
}

TEST_F(DesktopPoolTest, NeverHandsOutADesktopTwice) {
  Configure(3, 1);
  DesktopPool& pool = Pool();
  std::set<std::string> seen;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(SpareReady(kClaims));
    auto handle = pool.Start(SessionSpec(kClaims, "s-" + std::to_string(i)));
    ASSERT_TRUE(handle.ok());
    EXPECT_TRUE(seen.insert(handle->id).second) << handle->id << " handed out twice";
    ASSERT_TRUE(pool.Stop(handle->id).ok());
    EXPECT_FALSE(Listed(handle->id));
  }
}

TEST_F(DesktopPoolTest, RefusesAStartBeyondMaxDesktops) {
  Configure(1, 0);
  DesktopPool& pool = Pool();
  ASSERT_TRUE(pool.Start(SessionSpec(kClaims, "s-1")).ok());
  auto admitted = pool.Admit(SessionSpec(kClaims, "s-2"));
  ASSERT_FALSE(admitted.ok());
  EXPECT_EQ(admitted.error().code, Errc::kLimitExceeded);
  EXPECT_NE(admitted.error().message.find("research"), std::string::npos);
  auto second = pool.Start(SessionSpec(kClaims, "s-2"));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, Errc::kLimitExceeded);
  EXPECT_EQ(provider_->List().size(), 1u);
}

TEST_F(DesktopPoolTest, StartsNoSpareBeyondMaxDesktops) {
  Configure(1, 1);
  DesktopPool& pool = Pool();
  ASSERT_TRUE(pool.Start(SessionSpec(kClaims, "s-1")).ok());
  pool.Maintain();
  EXPECT_TRUE(pool.SpareIds(kClaims).empty());
  EXPECT_EQ(provider_->List().size(), 1u);
}

TEST_F(DesktopPoolTest, HandsOutOnlyASpareOfTheSessionsProject) {
  Configure(2, 1, {kClaims, kCancer});
  DesktopPool& pool = Pool();
  ASSERT_TRUE(MaintainUntil(
      [&] { return pool.ReadySpareIds(kClaims).size() == 1 && pool.ReadySpareIds(kCancer).size() == 1; }));
  const std::string cancer_spare = pool.ReadySpareIds(kCancer).front();
  auto handle = pool.Start(SessionSpec(kCancer, "s-1"));
  ASSERT_TRUE(handle.ok());
  EXPECT_EQ(handle->id, cancer_spare);
  EXPECT_EQ(pool.ReadySpareIds(kClaims).size(), 1u);
}

TEST_F(DesktopPoolTest, SpareYieldsItsPlaceToASessionOfAnotherProject) {
  Configure(1, 1, {kClaims, kCancer});
  DesktopPool& pool = Pool();
  ASSERT_TRUE(MaintainUntil([&] { return pool.ReadySpareIds(kClaims).size() + pool.ReadySpareIds(kCancer).size() == 1; }));
  const std::string project = pool.ReadySpareIds(kClaims).empty() ? kClaims : kCancer;  // the one without a spare
  const std::string other = project == kClaims ? kCancer : kClaims;
  const std::string spare = pool.ReadySpareIds(other).front();
  ASSERT_TRUE(pool.Admit(SessionSpec(project, "s-1")).ok());
  auto handle = pool.Start(SessionSpec(project, "s-1"));
  ASSERT_TRUE(handle.ok()) << handle.error().message;
  EXPECT_NE(handle->id, spare);
  EXPECT_FALSE(Listed(spare));
  EXPECT_EQ(provider_->List().size(), 1u);
}

TEST_F(DesktopPoolTest, RefusesAProjectWithoutAPool) {
  Configure(1, 0);
  DesktopPool& pool = Pool();
  auto handle = pool.Start(SessionSpec("nowhere", "s-1"));
  ASSERT_FALSE(handle.ok());
  EXPECT_EQ(handle.error().code, Errc::kInvalidArgument);
  EXPECT_TRUE(provider_->List().empty());
}

TEST_F(DesktopPoolTest, DiscardsAndReplacesASpareThatDied) {
  Configure(2, 1);
  DesktopPool& pool = Pool();
  ASSERT_TRUE(SpareReady(kClaims));
  const std::string spare = pool.ReadySpareIds(kClaims).front();
  KillXServer(spare);
  ASSERT_TRUE(MaintainUntil([&] { return !Listed(spare); }));
  EXPECT_EQ(audit_.CountOfType("desktop.spare_discarded"), 1u);
  EXPECT_EQ(std::get<std::string>(*audit_.events().back().Find("reason")), "failed");
  EXPECT_TRUE(pool.SpareIds(kClaims).empty());  // not at once: a broken desktop would loop
  clock_.Advance(std::chrono::seconds(6));
  EXPECT_TRUE(SpareReady(kClaims));
}

TEST_F(DesktopPoolTest, DiscardsASpareNotReadyInTime) {
  Configure(2, 1);
  DesktopPoolOptions options;
  options.spare_ready_timeout = std::chrono::seconds(5);
  DesktopPool& pool = Pool(options);
  pool.Maintain();  // starts it; its RDP server is not up yet
  ASSERT_EQ(pool.SpareIds(kClaims).size(), 1u);
  const std::string spare = pool.SpareIds(kClaims).front();
  clock_.Advance(std::chrono::seconds(6));
  pool.Maintain();
  EXPECT_FALSE(Listed(spare));
  ASSERT_EQ(audit_.CountOfType("desktop.spare_discarded"), 1u);
  EXPECT_EQ(std::get<std::string>(*audit_.events().front().Find("reason")), "not_ready_in_time");
}

TEST_F(DesktopPoolTest, ReplacesASpareWhoseProjectNowMountsAnotherDataset) {
  Configure(2, 1);
  DesktopPool& pool = Pool();
  ASSERT_TRUE(SpareReady(kClaims));
  const std::string spare = pool.ReadySpareIds(kClaims).front();
  auto record = store_->FindProject(kClaims);
  ASSERT_TRUE(record.ok() && record->has_value());
  ProjectRecord edited = **record;
  edited.dataset_path = (dir_.path() / "cancer").string();  // an administrator's edit
  ASSERT_TRUE(*store_->PutProject(edited, edited.version));
  ASSERT_TRUE(SpareReady(kClaims));
  EXPECT_FALSE(Listed(spare));
  EXPECT_EQ(audit_.CountOfType("desktop.spare_discarded"), 1u);
  auto handle = pool.Start(SessionSpec(kClaims, "s-1"));
  ASSERT_TRUE(handle.ok());
  EXPECT_NE(handle->id, spare);
}

TEST_F(DesktopPoolTest, ReportsAndStopsALiveSessionsDesktopThatDied) {
  Configure(1, 0);
  DesktopPool& pool = Pool();
  std::vector<std::pair<std::string, std::string>> lost;
  pool.SetSessionHooks([](const std::string&) { return SessionLiveness::kLive; },
                       [&lost](const std::string& session, const std::string& desktop) {
                         lost.emplace_back(session, desktop);
                       });
  auto handle = pool.Start(SessionSpec(kClaims, "s-1"));
  ASSERT_TRUE(handle.ok());
  ASSERT_TRUE(MaintainUntil([&] { return *pool.Probe(handle->id) == DesktopState::kReady; }));
  KillXServer(handle->id);
  ASSERT_TRUE(MaintainUntil([&] { return !lost.empty(); }));
  EXPECT_EQ(lost, (std::vector<std::pair<std::string, std::string>>{{"s-1", handle->id}}));
  EXPECT_FALSE(Listed(handle->id));
}

TEST_F(DesktopPoolTest, StopsTheDesktopOfAnEndedSession) {
  Configure(1, 0);
  DesktopPool& pool = Pool();
  SessionLiveness liveness = SessionLiveness::kUnknown;  // the start is still running
  pool.SetSessionHooks([&liveness](const std::string&) { return liveness; }, {});
  auto handle = pool.Start(SessionSpec(kClaims, "s-1"));
  ASSERT_TRUE(handle.ok());
  pool.Maintain();
  EXPECT_TRUE(Listed(handle->id));
  liveness = SessionLiveness::kEnded;
  pool.Maintain();
  EXPECT_FALSE(Listed(handle->id));
  EXPECT_TRUE(pool.Start(SessionSpec(kClaims, "s-2")).ok());  // its place is free again
}

}  // namespace
}  // namespace safedesk::broker
