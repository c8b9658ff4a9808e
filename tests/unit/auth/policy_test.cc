#include "auth/policy.h"

#include <gtest/gtest.h>

#include <vector>

namespace safedesk::auth {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

RolePolicy Researcher() {
  return RolePolicy{"researcher", true, hours(8), minutes(30), true, false, false};
}
RolePolicy Trainee() {
  return RolePolicy{"trainee", true, hours(2), minutes(10), false, true, true};
}

ProjectPolicy Claims() {
  ProjectPolicy p;
  p.name = "claims-2024";
  p.members = {"alice", "bob"};
  p.max_duration = hours(4);
  p.idle_timeout = minutes(20);
  p.allow_paste_in = true;
  p.watermark = false;
  p.require_user_verification = false;
  p.mask_rules = std::vector<MaskRule>{{"^KeePassXC$", ""}};
  return p;
}

class PolicyTest : public ::testing::Test {
 protected:
  GrantDecision Decide() { return DecideGrant(request_, roles_, projects_); }
  PolicyDenial DenialOf() {
    GrantDecision d = Decide();
    EXPECT_FALSE(d.ok());
    return d.denial();
  }

  std::vector<RolePolicy> roles_{Researcher(), Trainee()};
  std::vector<ProjectPolicy> projects_{Claims()};
  GrantRequest request_{"alice", {"researcher"}, "claims-2024", hours(3)};
};

TEST_F(PolicyTest, SingleRoleGrantTakesTheShorterOfRoleAndProject) {
  GrantDecision d = Decide();
  ASSERT_TRUE(d.ok()) << d.detail();
  EXPECT_EQ(d.grant().max_duration, hours(3));  // requested 3 h < project 4 h < role 8 h
  EXPECT_EQ(d.grant().idle_timeout, minutes(20));
  EXPECT_TRUE(d.grant().allow_clipboard_paste_in);
  EXPECT_FALSE(d.grant().watermark);
  EXPECT_FALSE(d.grant().allow_file_transfer);
  EXPECT_TRUE(d.grant().record_required);
  EXPECT_EQ(d.grant().mask_rules, Claims().mask_rules.value());
}

TEST_F(PolicyTest, RequestedDurationIsBoundedByTheGrantMax) {
  request_.requested_duration = hours(24);
  ASSERT_TRUE(Decide().ok());
  EXPECT_EQ(Decide().grant().max_duration, hours(4));
}

TEST_F(PolicyTest, TwoRolesTakeTheMostRestrictiveOfEach) {
  request_.roles = {"researcher", "trainee"};
  GrantDecision d = Decide();
  ASSERT_TRUE(d.ok()) << d.detail();
  EXPECT_EQ(d.grant().max_duration, hours(2));
  EXPECT_EQ(d.grant().idle_timeout, minutes(10));
  EXPECT_FALSE(d.grant().allow_clipboard_paste_in);  // trainee says no
  EXPECT_TRUE(d.grant().watermark);                  // trainee says yes
  EXPECT_TRUE(d.grant().require_user_verification);  // trainee says yes
}

TEST_F(PolicyTest, RoleOrderDoesNotMatter) {
  request_.roles = {"researcher", "trainee"};
  SessionGrant one = Decide().grant();
  request_.roles = {"trainee", "researcher"};
  EXPECT_EQ(Decide().grant(), one);
}

TEST_F(PolicyTest, PasteInNeedsTheProjectToAllowIt) {
  projects_[0].allow_paste_in = false;
  EXPECT_FALSE(Decide().grant().allow_clipboard_paste_in);
}

TEST_F(PolicyTest, ProjectCanForceWatermark) {
  projects_[0].watermark = true;
  EXPECT_TRUE(Decide().grant().watermark);
}

TEST_F(PolicyTest, IdleTimeoutNeverExceedsSession) {
  request_.requested_duration = minutes(5);
  EXPECT_EQ(Decide().grant().idle_timeout, minutes(5));
}

TEST_F(PolicyTest, MissingProjectDenies) {
  request_.project = "nope";
  EXPECT_EQ(DenialOf(), PolicyDenial::kUnknownProject);
}

TEST_F(PolicyTest, NonMemberDenied) {
  request_.user = "mallory";
  EXPECT_EQ(DenialOf(), PolicyDenial::kNotAMember);
}

TEST_F(PolicyTest, UnknownRoleDenies) {
  request_.roles = {"researcher", "admin"};
  EXPECT_EQ(DenialOf(), PolicyDenial::kUnknownRole);
}

TEST_F(PolicyTest, NoRolesDenies) {
  request_.roles.clear();
  EXPECT_EQ(DenialOf(), PolicyDenial::kNoRoles);
}

TEST_F(PolicyTest, RoleWithoutCanRequestDeniesEvenBesideOneThatCan) {
  roles_.push_back(RolePolicy{"auditor", false, hours(1), minutes(5), false, true, true});
  request_.roles = {"researcher", "auditor"};
  EXPECT_EQ(DenialOf(), PolicyDenial::kRoleCannotRequest);
}

TEST_F(PolicyTest, RoleMissingAValueDenies) {
  roles_[0].idle_timeout.reset();
  EXPECT_EQ(DenialOf(), PolicyDenial::kMissingValue);
}

TEST_F(PolicyTest, RoleMissingCanRequestDenies) {
  roles_[0].can_request.reset();
  EXPECT_EQ(DenialOf(), PolicyDenial::kMissingValue);
}

TEST_F(PolicyTest, ProjectMissingAValueDenies) {
  projects_[0].allow_paste_in.reset();
  EXPECT_EQ(DenialOf(), PolicyDenial::kMissingValue);
}

TEST_F(PolicyTest, ProjectMissingMaskRulesDenies) {
  projects_[0].mask_rules.reset();
  EXPECT_EQ(DenialOf(), PolicyDenial::kMissingValue);
}

TEST_F(PolicyTest, ProjectWithExplicitlyNoMaskRulesGrants) {
  projects_[0].mask_rules = std::vector<MaskRule>{};
  EXPECT_TRUE(Decide().ok());
}

TEST_F(PolicyTest, DuplicateRoleNameDenies) {
  roles_.push_back(Researcher());
  EXPECT_EQ(DenialOf(), PolicyDenial::kAmbiguousName);
}

TEST_F(PolicyTest, ZeroRequestedDurationDenies) {
  request_.requested_duration = seconds(0);
  EXPECT_EQ(DenialOf(), PolicyDenial::kBadDuration);
}

TEST_F(PolicyTest, DenialAsResultIsPermissionDeniedWithStableName) {
  request_.project = "nope";
  auto result = Decide().ToResult();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, Errc::kPermissionDenied);
  EXPECT_TRUE(result.error().message.starts_with("unknown_project:"));
}

}  // namespace
}  // namespace safedesk::auth
