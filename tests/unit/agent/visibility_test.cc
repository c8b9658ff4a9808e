#include "agent/visibility.h"

#include <gtest/gtest.h>

#include <vector>

namespace safedesk::agent {
namespace {

constexpr std::int32_t kW = 1000;
constexpr std::int32_t kH = 800;

TopLevel Window(MaskRect r, bool sensitive) { return TopLevel{r, r, true, sensitive}; }

std::vector<MaskRect> Rects(const std::vector<TopLevel>& stack) {
  return ComputeVisibleRegion(stack, kW, kH).rects;
}

TEST(VisibilityTest, SensitiveWindowIsItsClientArea) {
  TopLevel framed{{100, 100, 220, 130}, {110, 125, 200, 100}, true, true};
  EXPECT_EQ(Rects({framed}), (std::vector<MaskRect>{{110, 125, 200, 100}}));
}

TEST(VisibilityTest, NonSensitiveWindowGivesNothing) {
  EXPECT_TRUE(Rects({Window({0, 0, 10, 10}, false)}).empty());
}

TEST(VisibilityTest, UnviewableWindowGivesNothing) {
  TopLevel t = Window({0, 0, 10, 10}, true);
  t.viewable = false;
  EXPECT_TRUE(Rects({t}).empty());
}

TEST(VisibilityTest, ClipsToTheScreen) {
  EXPECT_EQ(Rects({Window({900, -50, 300, 100}, true)}),
            (std::vector<MaskRect>{{900, 0, 100, 50}}));
}

TEST(VisibilityTest, OffScreenWindowGivesNothing) {
  EXPECT_TRUE(Rects({Window({2000, 0, 10, 10}, true)}).empty());
}

TEST(VisibilityTest, NonSensitiveWindowAboveIsSubtracted) {
  // A 100x100 sensitive square with the middle of its top edge covered.
  EXPECT_EQ(Rects({Window({0, 0, 100, 100}, true), Window({40, 0, 20, 50}, false)}),
            (std::vector<MaskRect>{{0, 0, 40, 50}, {60, 0, 40, 50}, {0, 50, 100, 50}}));
}

TEST(VisibilityTest, NonSensitiveWindowBelowIsNotSubtracted) {
  EXPECT_EQ(Rects({Window({40, 0, 20, 50}, false), Window({0, 0, 100, 100}, true)}),
            (std::vector<MaskRect>{{0, 0, 100, 100}}));
}

TEST(VisibilityTest, FullyCoveredWindowGivesNothing) {
  EXPECT_TRUE(Rects({Window({10, 10, 10, 10}, true), Window({0, 0, 50, 50}, false)}).empty());
}

TEST(VisibilityTest, SensitiveWindowAboveAddsItsArea) {
  EXPECT_EQ(Rects({Window({0, 0, 100, 100}, true), Window({50, 0, 100, 100}, true)}),
            (std::vector<MaskRect>{{0, 0, 150, 100}}));
}

TEST(VisibilityTest, OccluderUsesItsFrameNotItsClient) {
  TopLevel occluder{{0, 0, 50, 100}, {5, 20, 40, 75}, true, false};
  EXPECT_EQ(Rects({Window({0, 0, 100, 100}, true), occluder}),
            (std::vector<MaskRect>{{50, 0, 50, 100}}));
}

TEST(VisibilityTest, TooManyRectsIsOverflow) {
  std::vector<TopLevel> stack;
  for (std::int32_t i = 0; i < 300; ++i) stack.push_back(Window({(i % 30) * 30, (i / 30) * 30, 10, 10}, true));
  const VisibleRegion region = ComputeVisibleRegion(stack, kW, kH);
  EXPECT_TRUE(region.overflow);
  EXPECT_TRUE(region.rects.empty());
}

TEST(MaskRuleSetTest, MarkedWindowIsSensitiveWithoutRules) {
  auto rules = MaskRuleSet::Compile({});
  ASSERT_TRUE(rules.ok());
  WindowProperties w;
  w.marked_sensitive = true;
  EXPECT_TRUE(rules->IsSensitive(w));
  EXPECT_FALSE(rules->IsSensitive(WindowProperties{}));
}

TEST(MaskRuleSetTest, TitleRuleSearchesAnywhere) {
  auto rules = MaskRuleSet::Compile({{"", "secret"}});
  ASSERT_TRUE(rules.ok());
  EXPECT_TRUE(rules->IsSensitive({"xterm", "XTerm", "my secret notes", false}));
  EXPECT_FALSE(rules->IsSensitive({"xterm", "XTerm", "notes", false}));
}

TEST(MaskRuleSetTest, ClassRuleMatchesInstanceOrClass) {
  auto rules = MaskRuleSet::Compile({{"^XTerm$", ""}});
  ASSERT_TRUE(rules.ok());
  EXPECT_TRUE(rules->IsSensitive({"xterm", "XTerm", "", false}));
  EXPECT_FALSE(rules->IsSensitive({"xterm", "UXTerm", "", false}));
}

TEST(MaskRuleSetTest, BothSetMeansBothMustMatch) {
  auto rules = MaskRuleSet::Compile({{"XTerm", "secret"}});
  ASSERT_TRUE(rules.ok());
  EXPECT_TRUE(rules->IsSensitive({"xterm", "XTerm", "secret", false}));
  EXPECT_FALSE(rules->IsSensitive({"xterm", "XTerm", "public", false}));
  EXPECT_FALSE(rules->IsSensitive({"calc", "Calc", "secret", false}));
}

TEST(MaskRuleSetTest, BadExpressionIsAnError) {
  EXPECT_FALSE(MaskRuleSet::Compile({{"(", ""}}).ok());
}

}  // namespace
}  // namespace safedesk::agent
