// The bodies agent/broker_reporter.h sends (broker/API.md "Components").
#include "agent/broker_reporter.h"

#include <gtest/gtest.h>

namespace safedesk::agent {
namespace {

TEST(BrokerReporterBodyTest, RegisterWithNoFailuresIsOk) {
  EXPECT_EQ(RegisterBody("desk-1", {}), R"({"desktopId":"desk-1","lockdown":{"ok":true,"failures":[]}})");
}

TEST(BrokerReporterBodyTest, RegisterWithFailuresIsNotOk) {
  EXPECT_EQ(RegisterBody("desk-1", {"routes"}),
            R"({"desktopId":"desk-1","lockdown":{"ok":false,"failures":["routes"]}})");
}

TEST(BrokerReporterBodyTest, EventCarriesTypeAndStringDetail) {
  EXPECT_EQ(EventBody("desk-1", {"process.started", {{"exe", "/bin/sh"}, {"args", "a\"b"}}}),
            R"({"desktopId":"desk-1","type":"process.started","detail":{"exe":"/bin/sh","args":"a\"b"}})");
}

}  // namespace
}  // namespace safedesk::agent
