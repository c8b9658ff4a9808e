#include "config/address.h"

#include <gtest/gtest.h>

#include <string>

namespace safedesk::config {
namespace {

std::string ErrorOf(const Result<Cidr>& result) {
  return result.ok() ? "" : result.error().message;
}

TEST(ParseIpAddressTest, ParsesIpv4AndIpv6) {
  auto v4 = ParseIpAddress("192.0.2.1");
  ASSERT_TRUE(v4.ok());
  EXPECT_FALSE(v4->v6);
  EXPECT_EQ(v4->ToString(), "192.0.2.1");
  auto v6 = ParseIpAddress("2001:db8::1");
  ASSERT_TRUE(v6.ok());
  EXPECT_TRUE(v6->v6);
  EXPECT_EQ(v6->ToString(), "2001:db8::1");
}

TEST(ParseIpAddressTest, RejectsShortFormsZonesAndBrackets) {
  EXPECT_FALSE(ParseIpAddress("10.1").ok());
  EXPECT_FALSE(ParseIpAddress("256.0.0.1").ok());
  EXPECT_FALSE(ParseIpAddress("fe80::1%eth0").ok());
  EXPECT_FALSE(ParseIpAddress("[::1]").ok());
  EXPECT_FALSE(ParseIpAddress("").ok());
}

TEST(ParseCidrTest, ParsesIpv4AndIpv6Ranges) {
  auto v4 = ParseCidr("10.0.0.0/8");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->prefix_length, 8);
  EXPECT_EQ(v4->ToString(), "10.0.0.0/8");
  auto v6 = ParseCidr("fd00::/64");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->ToString(), "fd00::/64");
}

TEST(ParseCidrTest, AcceptsPrefixZeroAndSingleAddresses) {
  EXPECT_TRUE(ParseCidr("0.0.0.0/0").ok());
  EXPECT_TRUE(ParseCidr("::/0").ok());
  EXPECT_TRUE(ParseCidr("192.0.2.7/32").ok());
  EXPECT_TRUE(ParseCidr("::1/128").ok());
}

TEST(ParseCidrTest, RejectsMissingPrefix) {
  EXPECT_NE(ErrorOf(ParseCidr("10.0.0.1")).find("use /32 or /128"), std::string::npos);
}

TEST(ParseCidrTest, RejectsPrefixLongerThanTheFamily) {
  EXPECT_NE(ErrorOf(ParseCidr("10.0.0.0/33")).find("0 to 32"), std::string::npos);
  EXPECT_NE(ErrorOf(ParseCidr("fd00::/129")).find("0 to 128"), std::string::npos);
}

TEST(ParseCidrTest, RejectsMalformedPrefix) {
  EXPECT_FALSE(ParseCidr("10.0.0.0/").ok());
  EXPECT_FALSE(ParseCidr("10.0.0.0/-1").ok());
  EXPECT_FALSE(ParseCidr("10.0.0.0/8/8").ok());
  EXPECT_FALSE(ParseCidr("10.0.0.0/1000").ok());
}

TEST(ParseCidrTest, RejectsHostBitsAndSuggestsTheNetwork) {
  const std::string message = ErrorOf(ParseCidr("10.1.2.3/8"));
  EXPECT_NE(message.find("host bits are set"), std::string::npos);
  EXPECT_NE(message.find("10.0.0.0/8"), std::string::npos);
  EXPECT_FALSE(ParseCidr("fd00::1/64").ok());
}

TEST(CidrTest, ContainsAddressesInsideOnly) {
  const Cidr cidr = *ParseCidr("192.168.16.0/20");
  EXPECT_TRUE(cidr.Contains("192.168.16.0"));
  EXPECT_TRUE(cidr.Contains("192.168.31.255"));
  EXPECT_FALSE(cidr.Contains("192.168.32.0"));
  EXPECT_FALSE(cidr.Contains("192.168.15.255"));
}

TEST(CidrTest, ContainsIpv6) {
  const Cidr cidr = *ParseCidr("fd00:1::/32");
  EXPECT_TRUE(cidr.Contains("fd00:1:ffff::9"));
  EXPECT_FALSE(cidr.Contains("fd00:2::1"));
}

TEST(CidrTest, Ipv4MappedAddressesMatchIpv4Ranges) {
  EXPECT_TRUE(ParseCidr("127.0.0.0/8")->Contains("::ffff:127.0.0.1"));
  EXPECT_FALSE(ParseCidr("127.0.0.0/8")->Contains("::ffff:10.0.0.1"));
}

TEST(CidrTest, FamiliesDoNotMix) {
  EXPECT_FALSE(ParseCidr("0.0.0.0/0")->Contains("::1"));
  EXPECT_FALSE(ParseCidr("::/0")->Contains("127.0.0.1"));
}

TEST(CidrTest, PrefixZeroContainsTheWholeFamily) {
  EXPECT_TRUE(ParseCidr("0.0.0.0/0")->Contains("203.0.113.9"));
}

TEST(CidrTest, TextThatIsNotAnAddressIsNotContained) {
  EXPECT_FALSE(ParseCidr("0.0.0.0/0")->Contains("localhost"));
}

TEST(ParsePortTest, AcceptsOneTo65535) {
  EXPECT_EQ(*ParsePort("1"), 1);
  EXPECT_EQ(*ParsePort("65535"), 65535);
}

TEST(ParsePortTest, RejectsOutOfRangeAndNonDigits) {
  EXPECT_FALSE(ParsePort("0").ok());
  EXPECT_FALSE(ParsePort("65536").ok());
  EXPECT_FALSE(ParsePort("").ok());
  EXPECT_FALSE(ParsePort("+80").ok());
  EXPECT_FALSE(ParsePort("80a").ok());
  EXPECT_FALSE(ParsePort("0000080").ok());
}

TEST(ParseHostPortTest, ParsesIpv4Ipv6AndNames) {
  EXPECT_EQ(*ParseHostPort("127.0.0.1:8443"), (HostPort{"127.0.0.1", 8443}));
  EXPECT_EQ(*ParseHostPort("[::1]:8443"), (HostPort{"::1", 8443}));
  EXPECT_EQ(*ParseHostPort("gateway.example.org:8444"), (HostPort{"gateway.example.org", 8444}));
}

TEST(ParseHostPortTest, RejectsMissingPort) {
  auto parsed = ParseHostPort("127.0.0.1");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().message.find(":port is missing"), std::string::npos);
}

TEST(ParseHostPortTest, RejectsUnbracketedIpv6) {
  auto parsed = ParseHostPort("::1:8443");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().message.find("[::1]:8443"), std::string::npos);
}

TEST(ParseHostPortTest, RejectsBadHostsAndPorts) {
  EXPECT_FALSE(ParseHostPort("exa_mple:80").ok());
  EXPECT_FALSE(ParseHostPort(":80").ok());
  EXPECT_FALSE(ParseHostPort("[127.0.0.1]:80").ok());
  EXPECT_FALSE(ParseHostPort("host:65536").ok());
  EXPECT_FALSE(ParseHostPort("[::1]8443").ok());
}

TEST(ParseHostPortTest, PortZeroOnlyWhereAllowed) {
  EXPECT_FALSE(ParseHostPort("127.0.0.1:0").ok());
  EXPECT_EQ(ParseHostPort("127.0.0.1:0", PortZero::kAllow)->port, 0);
}

TEST(HostPortTest, ToStringBracketsIpv6) {
  EXPECT_EQ((HostPort{"::1", 8443}).ToString(), "[::1]:8443");
  EXPECT_EQ((HostPort{"localhost", 8443}).ToString(), "localhost:8443");
}

TEST(IsValidHostnameTest, FollowsRfc1123) {
  EXPECT_TRUE(IsValidHostname("localhost"));
  EXPECT_TRUE(IsValidHostname("a-b.example.org"));
  EXPECT_FALSE(IsValidHostname("-a.example.org"));
  EXPECT_FALSE(IsValidHostname("a..b"));
  EXPECT_FALSE(IsValidHostname("a.b."));
  EXPECT_FALSE(IsValidHostname(std::string(64, 'a') + ".org"));
  EXPECT_FALSE(IsValidHostname(""));
}

TEST(ParseHttpsUrlTest, ParsesHostPortAndPath) {
  auto url = ParseHttpsUrl("https://broker.example.org:8443/api");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "broker.example.org");
  EXPECT_EQ(url->port, 8443);
  EXPECT_EQ(url->path, "/api");
}

TEST(ParseHttpsUrlTest, DefaultsToPort443AndAcceptsIpv6) {
  EXPECT_EQ(ParseHttpsUrl("https://localhost")->port, 443);
  EXPECT_EQ(ParseHttpsUrl("https://[::1]:8443")->host, "::1");
  EXPECT_EQ(ParseHttpsUrl("https://[::1]")->port, 443);
}

TEST(ParseHttpsUrlTest, RejectsPlainHttpUserInfoAndQuery) {
  EXPECT_FALSE(ParseHttpsUrl("http://localhost:8443").ok());
  EXPECT_FALSE(ParseHttpsUrl("https://user@localhost").ok());
  EXPECT_FALSE(ParseHttpsUrl("https://localhost/?a=b").ok());
  EXPECT_FALSE(ParseHttpsUrl("https://localhost:0").ok());
  EXPECT_FALSE(ParseHttpsUrl("https://").ok());
}

TEST(ParseOriginTest, RejectsAnyPath) {
  EXPECT_TRUE(ParseOrigin("https://localhost:8443").ok());
  EXPECT_FALSE(ParseOrigin("https://localhost:8443/").ok());
}

}  // namespace
}  // namespace safedesk::config
