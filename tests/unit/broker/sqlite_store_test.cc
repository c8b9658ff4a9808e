#include "broker/store/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <thread>

#include "tests/testing/test_support.h"

namespace safedesk::broker {
namespace {

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    store_.reset();
    auto opened = SqliteStore::Open(dir_.path() / "broker.sqlite");
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(*opened);
  }
  void AddUsers() {
    for (const char* name : {"alice", "bob", "carol"}) {
      ASSERT_TRUE(store_->CreateUser({name, name, {"researcher"}, false, 1}).ok());
    }
  }
  RequestRecord Pending(const std::string& id, int approvals_needed = 1) {
    RequestRecord r{id, "alice", "claims", "purpose", 3600, RequestState::kPending, 10, 0, approvals_needed};
    EXPECT_TRUE(store_->CreateRequest(r).ok());
    return r;
  }

  testing::TempDir dir_;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(SqliteStoreTest, AppliesEveryMigration) {
  EXPECT_EQ(store_->schema_version(), SchemaMigrations().back().version);
}

TEST_F(SqliteStoreTest, ReopenKeepsStateAndDoesNotReapplyMigrations) {
  AddUsers();
  Pending("r1");
  Reopen();
  EXPECT_EQ(store_->schema_version(), SchemaMigrations().back().version);
  auto request = store_->GetRequest("r1");
  ASSERT_TRUE(request.ok());
  ASSERT_TRUE(request->has_value());
  EXPECT_EQ((*request)->state, RequestState::kPending);
}

TEST_F(SqliteStoreTest, DuplicateUserIsRefused) {
  AddUsers();
  auto again = store_->CreateUser({"alice", "A", {}, false, 1});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::kAlreadyExists);
}

TEST_F(SqliteStoreTest, UserRolesRoundTrip) {
  ASSERT_TRUE(store_->CreateUser({"dan", "Dan", {"admin", "auditor"}, false, 1}).ok());
  auto user = store_->FindUser("dan");
  ASSERT_TRUE(user.ok() && user->has_value());
  EXPECT_EQ((*user)->roles, (std::vector<std::string>{"admin", "auditor"}));
}

TEST_F(SqliteStoreTest, ApprovalByAnotherUserApproves) {
  AddUsers();
  Pending("r1");
  auto decided = store_->Decide({"r1", "bob", true, "ok", 20}, 1000);
  ASSERT_TRUE(decided.ok()) << decided.error().message;
  EXPECT_EQ(decided->state, RequestState::kApproved);
  EXPECT_EQ(decided->approved_until, 1000);
}

TEST_F(SqliteStoreTest, OwnRequestCannotBeDecided) {
  AddUsers();
  Pending("r1");
  auto decided = store_->Decide({"r1", "alice", true, "mine", 20}, 1000);
  ASSERT_FALSE(decided.ok());
  EXPECT_EQ(decided.error().code, Errc::kPermissionDenied);
}

TEST_F(SqliteStoreTest, TwoApproversNeededMeansTwoDistinctApprovers) {
  AddUsers();
  Pending("r1", 2);
  auto first = store_->Decide({"r1", "bob", true, "ok", 20}, 1000);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->state, RequestState::kPending);
  EXPECT_FALSE(store_->Decide({"r1", "bob", true, "again", 21}, 1000).ok());
  auto second = store_->Decide({"r1", "carol", true, "ok", 22}, 1000);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->state, RequestState::kApproved);
}

TEST_F(SqliteStoreTest, DenialEndsTheRequest) {
  AddUsers();
  Pending("r1");
  auto denied = store_->Decide({"r1", "bob", false, "no", 20}, 1000);
  ASSERT_TRUE(denied.ok());
  EXPECT_EQ(denied->state, RequestState::kDenied);
  EXPECT_FALSE(store_->Decide({"r1", "carol", true, "late", 21}, 1000).ok());
}

TEST_F(SqliteStoreTest, ApprovalIsConsumedOnce) {
  AddUsers();
  Pending("r1");
  ASSERT_TRUE(store_->Decide({"r1", "bob", true, "ok", 20}, 1000).ok());
  EXPECT_TRUE(*store_->ConsumeApproval("r1", 500));
  EXPECT_FALSE(*store_->ConsumeApproval("r1", 501));
}

TEST_F(SqliteStoreTest, ApprovalCannotBeConsumedAfterItsWindow) {
  AddUsers();
  Pending("r1");
  ASSERT_TRUE(store_->Decide({"r1", "bob", true, "ok", 20}, 1000).ok());
  EXPECT_FALSE(*store_->ConsumeApproval("r1", 1000));
}

TEST_F(SqliteStoreTest, TotpStepOnlyAdvances) {
  AddUsers();
  auto id = store_->AddFactor({.user = "alice", .kind = FactorKind::kTotp, .label = "phone"});
  ASSERT_TRUE(id.ok());
  EXPECT_TRUE(*store_->AdvanceTotpStep(*id, 100));
  EXPECT_FALSE(*store_->AdvanceTotpStep(*id, 100));
  EXPECT_FALSE(*store_->AdvanceTotpStep(*id, 99));
  EXPECT_TRUE(*store_->AdvanceTotpStep(*id, 101));
}

TEST_F(SqliteStoreTest, SignCountMustIncreaseUnlessBothZero) {
  AddUsers();
  auto id = store_->AddFactor({.user = "alice", .kind = FactorKind::kWebAuthn, .label = "key",
                               .credential_id = {1, 2, 3}});
  ASSERT_TRUE(id.ok());
  EXPECT_TRUE(*store_->AdvanceSignCount(*id, 0));
  EXPECT_TRUE(*store_->AdvanceSignCount(*id, 5));
  EXPECT_FALSE(*store_->AdvanceSignCount(*id, 5));
  EXPECT_FALSE(*store_->AdvanceSignCount(*id, 0));
}

TEST_F(SqliteStoreTest, FactorsAreRemovedOnlyByTheirOwner) {
  AddUsers();
  auto id = store_->AddFactor({.user = "alice", .kind = FactorKind::kTotp, .label = "phone"});
  EXPECT_FALSE(store_->RemoveFactor("bob", *id).ok());
  EXPECT_TRUE(store_->RemoveFactor("alice", *id).ok());
  EXPECT_TRUE(store_->ListFactors("alice")->empty());
}

TEST_F(SqliteStoreTest, LastConfirmedFactorStays) {
  AddUsers();
  auto a = store_->AddFactor({.user = "alice", .kind = FactorKind::kTotp, .label = "a", .confirmed = true});
  auto b = store_->AddFactor({.user = "alice", .kind = FactorKind::kTotp, .label = "b", .confirmed = true});
  EXPECT_EQ(*store_->RemoveFactorUnlessLast("alice", *a), FactorRemoval::kRemoved);
  EXPECT_EQ(*store_->RemoveFactorUnlessLast("alice", *b), FactorRemoval::kLastFactor);
  EXPECT_EQ(store_->ListFactors("alice")->size(), 1u);
}

TEST_F(SqliteStoreTest, UnconfirmedFactorGoesEvenWhenItIsTheOnlyOne) {
  AddUsers();
  auto pending = store_->AddFactor({.user = "alice", .kind = FactorKind::kTotp, .label = "p"});
  EXPECT_EQ(*store_->RemoveFactorUnlessLast("alice", *pending), FactorRemoval::kRemoved);
}

TEST_F(SqliteStoreTest, AnotherUsersFactorIsNotFound) {
  AddUsers();
  auto a = store_->AddFactor({.user = "alice", .kind = FactorKind::kTotp, .label = "a", .confirmed = true});
  auto b = store_->AddFactor({.user = "alice", .kind = FactorKind::kTotp, .label = "b", .confirmed = true});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*store_->RemoveFactorUnlessLast("bob", *a), FactorRemoval::kNotFound);
}

// Two brokers on one database, each removing one of a user's last two factors at the
// same moment: one removal wins, the other sees the last factor. Bounded: 40 rounds.
TEST_F(SqliteStoreTest, TwoBrokersNeverRemoveBothOfTheLastTwoFactors) {
  AddUsers();
  auto other = SqliteStore::Open(dir_.path() / "broker.sqlite");
  ASSERT_TRUE(other.ok());
  for (int round = 0; round < 40; ++round) {
    auto a = store_->AddFactor({.user = "alice", .kind = FactorKind::kTotp, .label = "a", .confirmed = true});
    auto b = store_->AddFactor({.user = "alice", .kind = FactorKind::kTotp, .label = "b", .confirmed = true});
    ASSERT_TRUE(a.ok() && b.ok());
    Result<FactorRemoval> first = FactorRemoval::kNotFound;
    Result<FactorRemoval> second = FactorRemoval::kNotFound;
    std::thread t([&] { first = store_->RemoveFactorUnlessLast("alice", *a); });
    second = (*other)->RemoveFactorUnlessLast("alice", *b);
    t.join();
    ASSERT_TRUE(first.ok() && second.ok());
    EXPECT_EQ((*first == FactorRemoval::kRemoved) + (*second == FactorRemoval::kRemoved), 1) << "round " << round;
    auto left = store_->ListFactors("alice");
    ASSERT_EQ(left->size(), 1u);
    ASSERT_EQ(store_->RemoveFactor("alice", left->front().id).ok(), true);
  }
}

ProjectRecord Claims() {
  ProjectRecord p;
  p.name = "claims";
  p.members = {"bob", "alice"};
  p.dataset_path = "/srv/claims";
  p.pool = "default";
  p.max_duration_seconds = 7200;
  p.idle_timeout_seconds = 900;
  p.require_two_approvers = true;
  p.watermark = true;
  p.allow_paste_in = false;
  p.mask_rules = {{"^Firefox$", ""}, {"", "Patient"}};
  p.updated_at = 5;
  p.updated_by = "carol";
  return p;
}

TEST_F(SqliteStoreTest, ProjectRoundTripsWithMembersAndOrderedRules) {
  ASSERT_TRUE(*store_->PutProject(Claims(), 0));
  auto found = store_->FindProject("claims");
  ASSERT_TRUE(found.ok() && found->has_value());
  const ProjectRecord& p = **found;
  EXPECT_EQ(p.members, (std::vector<std::string>{"alice", "bob"}));
  EXPECT_EQ(p.mask_rules, Claims().mask_rules);
  EXPECT_EQ(p.dataset_path, "/srv/claims");
  EXPECT_EQ(p.max_duration_seconds, 7200);
  EXPECT_TRUE(p.require_two_approvers);
  EXPECT_EQ(p.version, 1);
  EXPECT_EQ(p.updated_by, "carol");
}

TEST_F(SqliteStoreTest, ProjectChangeNeedsTheVersionItWasReadAt) {
  ASSERT_TRUE(*store_->PutProject(Claims(), 0));
  EXPECT_FALSE(*store_->PutProject(Claims(), 0)) << "created twice";
  EXPECT_TRUE(*store_->PutProject(Claims(), 1));
  EXPECT_FALSE(*store_->PutProject(Claims(), 1)) << "a stale edit overwrote a newer one";
  EXPECT_EQ((*store_->FindProject("claims"))->version, 2);
}

TEST_F(SqliteStoreTest, ProjectChangeReplacesMembersAndRulesWhole) {
  ASSERT_TRUE(*store_->PutProject(Claims(), 0));
  ProjectRecord changed = Claims();
  changed.members = {"carol"};
  changed.mask_rules = {};
  ASSERT_TRUE(*store_->PutProject(changed, 1));
  auto p = store_->FindProject("claims");
  EXPECT_EQ((*p)->members, std::vector<std::string>{"carol"});
  EXPECT_TRUE((*p)->mask_rules.empty());
  EXPECT_EQ(store_->ListProjects()->size(), 1u);
}

TEST_F(SqliteStoreTest, SessionEndsOnce) {
  AddUsers();
  Pending("r1");
  ASSERT_TRUE(store_->CreateSession({"s1", "r1", "alice", "claims", "d1", "10.0.0.2", 30, 0, "", ""}).ok());
  EXPECT_EQ(store_->ListSessions(true)->size(), 1u);
  EXPECT_TRUE(*store_->EndSession("s1", 40, "logout"));
  EXPECT_FALSE(*store_->EndSession("s1", 41, "again"));
  EXPECT_TRUE(store_->ListSessions(true)->empty());
  EXPECT_EQ((*store_->GetSession("s1"))->end_reason, "logout");
}

TEST_F(SqliteStoreTest, WebSessionRoundTripAndDelete) {
  AddUsers();
  ASSERT_TRUE(store_->PutWebSession({"h1", "alice", "127.0.0.1", "c1", "password+totp", 1, 2, 3}).ok());
  auto found = store_->FindWebSession("h1");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->factors, "password+totp");
  ASSERT_TRUE(store_->DeleteWebSession("h1").ok());
  EXPECT_FALSE(store_->FindWebSession("h1")->has_value());
}

TEST_F(SqliteStoreTest, RefusesADatabaseFromANewerBroker) {
  store_.reset();
  {
    auto opened = SqliteStore::Open(dir_.path() / "broker.sqlite");
    ASSERT_TRUE(opened.ok());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_.path() / "broker.sqlite").c_str(), &db), SQLITE_OK);
  sqlite3_exec(db, "INSERT INTO schema_version VALUES (9999, 0)", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  auto opened = SqliteStore::Open(dir_.path() / "broker.sqlite");
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, Errc::kCorrupt);
}

}  // namespace
}  // namespace safedesk::broker
