#include "broker/web_sessions.h"

#include <gtest/gtest.h>

#include "broker/store/sqlite_store.h"
#include "tests/testing/test_support.h"

namespace safedesk::broker {
namespace {

class WebSessionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = SqliteStore::Open(dir_.path() / "b.sqlite");
    ASSERT_TRUE(opened.ok());
    store_ = std::move(opened).value();
    ASSERT_TRUE(store_->CreateUser({"alice", "Alice", {"researcher"}, false, 0}).ok());
    sessions_ = std::make_unique<WebSessions>(*store_, clock_, random_, WebSessionOptions{});
  }
  std::string CookieOf(const NewWebSession& s) {
    return "other=1; " + std::string(kSessionCookieName) + "=" + std::string(s.cookie_value.reveal());
  }
  WebSessions::Checked Check(const std::string& cookie, const std::string& source, bool changing = false,
                             const std::string& csrf = "") {
    auto checked = sessions_->Check(cookie, source, changing, csrf);
    EXPECT_TRUE(checked.ok());
    return *checked;
  }

  testing::TempDir dir_;
  ManualClock clock_;
  SeededRandom random_{5};
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<WebSessions> sessions_;
};

TEST_F(WebSessionsTest, FreshSessionIsAccepted) {
  auto s = sessions_->Create("alice", "10.1.0.2", "password+totp");
  ASSERT_TRUE(s.ok());
  auto checked = Check(CookieOf(*s), "10.1.0.2");
  ASSERT_TRUE(checked.session.has_value());
  EXPECT_EQ(checked.session->user, "alice");
}

TEST_F(WebSessionsTest, StoreHoldsOnlyTheHashOfTheCookie) {
  auto s = sessions_->Create("alice", "10.1.0.2", "password+totp");
  EXPECT_FALSE(store_->FindWebSession(std::string(s->cookie_value.reveal()))->has_value());
}

TEST_F(WebSessionsTest, MissingCookieIsRefused) {
  EXPECT_EQ(Check("other=1", "10.1.0.2").rejection, WebSessionRejection::kMissing);
}

TEST_F(WebSessionsTest, UnknownCookieIsRefused) {
  EXPECT_EQ(Check(std::string(kSessionCookieName) + "=forged", "10.1.0.2").rejection, WebSessionRejection::kUnknown);
}

TEST_F(WebSessionsTest, CookieFromAnotherAddressIsRefused) {
  auto s = sessions_->Create("alice", "10.1.0.2", "password+totp");
  EXPECT_EQ(Check(CookieOf(*s), "10.1.0.3").rejection, WebSessionRejection::kOtherSource);
}

TEST_F(WebSessionsTest, IdleSessionExpires) {
  auto s = sessions_->Create("alice", "10.1.0.2", "password+totp");
  clock_.Advance(std::chrono::minutes(31));
  EXPECT_EQ(Check(CookieOf(*s), "10.1.0.2").rejection, WebSessionRejection::kIdleExpired);
}

TEST_F(WebSessionsTest, ActiveSessionStillEndsAtTheAbsoluteLifetime) {
  auto s = sessions_->Create("alice", "10.1.0.2", "password+totp");
  std::optional<WebSessionRejection> rejection;
  int minutes = 0;
  while (!rejection && minutes < 24 * 60) {  // bounded: at most a day of simulated use
    clock_.Advance(std::chrono::minutes(29));
    minutes += 29;
    rejection = Check(CookieOf(*s), "10.1.0.2").rejection;
  }
  EXPECT_EQ(rejection, WebSessionRejection::kExpired);
  EXPECT_GE(minutes, 12 * 60);
}

TEST_F(WebSessionsTest, StateChangingRequestNeedsTheCsrfToken) {
  auto s = sessions_->Create("alice", "10.1.0.2", "password+totp");
  EXPECT_EQ(Check(CookieOf(*s), "10.1.0.2", true, "").rejection, WebSessionRejection::kBadCsrf);
  EXPECT_EQ(Check(CookieOf(*s), "10.1.0.2", true, "wrong").rejection, WebSessionRejection::kBadCsrf);
  EXPECT_TRUE(Check(CookieOf(*s), "10.1.0.2", true, s->csrf_token).session.has_value());
}

TEST_F(WebSessionsTest, CookieHeaderHasTheHardeningAttributes) {
  auto s = sessions_->Create("alice", "10.1.0.2", "password+totp");
  const std::string header = sessions_->SetCookieHeader(s->cookie_value);
  EXPECT_EQ(header.rfind("__Host-safedesk=", 0), 0u);
  for (const char* attr : {"; Secure", "; HttpOnly", "; SameSite=Strict", "; Path=/"}) {
    EXPECT_NE(header.find(attr), std::string::npos) << attr;
  }
}

TEST(FindCookieTest, FindsByExactName) {
  EXPECT_EQ(FindCookie("a=1; b=2", "b"), "2");
  EXPECT_EQ(FindCookie("ab=1; b=2", "a"), "");
  EXPECT_EQ(FindCookie("", "a"), "");
}

}  // namespace
}  // namespace safedesk::broker
