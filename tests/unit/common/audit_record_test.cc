#include "common/audit_record.h"

#include <gtest/gtest.h>

namespace safedesk {
namespace {

AuditRecord Sample() {
  return AuditRecord{7, "2023-11-14T22:13:20.000Z", "login.failure", "", std::string(kAuditGenesisPrev),
                     {{"user", std::string("alice")}, {"attempts", std::int64_t{3}}, {"locked", false}}};
}

TEST(AuditRecordTest, SerialisesInFixedOrderWithoutWhitespace) {
  EXPECT_EQ(SerializeAuditRecord(Sample()),
            "{\"seq\":7,\"ts\":\"2023-11-14T22:13:20.000Z\",\"type\":\"login.failure\",\"session\":\"\","
            "\"prev\":\"" + std::string(kAuditGenesisPrev) +
                "\",\"data\":{\"user\":\"alice\",\"attempts\":3,\"locked\":false}}");
}

TEST(AuditRecordTest, ParsesItsOwnSerialisation) {
  const std::string line = SerializeAuditRecord(Sample());
  auto record = ParseAuditRecord(line);
  ASSERT_TRUE(record.ok()) << record.error().message;
  EXPECT_EQ(record->seq, 7u);
  EXPECT_EQ(record->type, "login.failure");
  ASSERT_EQ(record->data.size(), 3u);
  EXPECT_EQ(*record->Find("attempts"), AuditValue(std::int64_t{3}));
  EXPECT_EQ(SerializeAuditRecord(*record), line);
}

TEST(AuditRecordTest, EscapesControlCharactersAndQuotes) {
  AuditRecord record = Sample();
  record.data = {{"reason", std::string("a\"b\\c\nd\x01")}};
  const std::string line = SerializeAuditRecord(record);
  EXPECT_NE(line.find(R"("a\"b\\c\nd\u0001")"), std::string::npos) << line;
  auto parsed = ParseAuditRecord(line);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(std::get<std::string>(parsed->data[0].value), "a\"b\\c\nd\x01");
}

// A hostile user name must not make the writer emit a line the verifier rejects.
TEST(AuditRecordTest, InvalidUtf8IsReplacedSoTheLineParsesBack) {
  AuditRecord record = Sample();
  record.data = {{"user", std::string("bad\xC0\xAFname\xED\xA0\x80")}};
  const std::string line = SerializeAuditRecord(record);
  auto parsed = ParseAuditRecord(line);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(std::get<std::string>(parsed->data[0].value),
            "bad\xEF\xBF\xBD\xEF\xBF\xBDname\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(AuditRecordTest, KeepsValidMultibyteText) {
  AuditRecord record = Sample();
  record.data = {{"user", std::string("\xE5\xB1\xB1\xE7\x94\xB0 \xF0\x9F\x94\x92")}};
  auto parsed = ParseAuditRecord(SerializeAuditRecord(record));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(std::get<std::string>(parsed->data[0].value), "\xE5\xB1\xB1\xE7\x94\xB0 \xF0\x9F\x94\x92");
}

TEST(AuditRecordTest, ExtraWhitespaceIsNotCanonical) {
  std::string line = SerializeAuditRecord(Sample());
  line.insert(line.find(",\"ts\""), " ");
  auto parsed = ParseAuditRecord(line);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code, Errc::kCorrupt);
}

TEST(AuditRecordTest, NeedlessEscapeIsNotCanonical) {
  std::string line = SerializeAuditRecord(Sample());
  line.replace(line.find("alice"), 1, "\\u0061");
  auto parsed = ParseAuditRecord(line);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code, Errc::kCorrupt);
}

TEST(AuditRecordTest, DuplicateKeyIsNotCanonical) {
  std::string line = SerializeAuditRecord(Sample());
  line.replace(line.find("\"attempts\":3"), 12, "\"user\":\"bob\"");
  auto parsed = ParseAuditRecord(line);
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().code, Errc::kInternal);
}

TEST(AuditRecordTest, WrongShapesAreMalformed) {
  const std::string prev(kAuditGenesisPrev);
  for (const std::string& line : std::vector<std::string>{
           std::string("not json"),
           std::string("[1,2]"),
           "{\"ts\":\"t\",\"type\":\"x\",\"session\":\"\",\"prev\":\"" + prev + "\",\"data\":{}}",
           "{\"seq\":0,\"ts\":\"t\",\"type\":\"x\",\"session\":\"\",\"prev\":\"" + prev + "\",\"data\":{}}",
           std::string("{\"seq\":1,\"ts\":\"t\",\"type\":\"x\",\"session\":\"\",\"prev\":\"abc\",\"data\":{}}"),
           "{\"seq\":1,\"ts\":\"t\",\"type\":\"x\",\"session\":\"\",\"prev\":\"" + prev + "\",\"data\":{\"f\":1.5}}",
           "{\"seq\":1,\"ts\":\"t\",\"type\":\"x\",\"session\":\"\",\"prev\":\"" + prev + "\",\"data\":{\"f\":{}}}",
           "{\"seq\":1,\"ts\":\"t\",\"type\":\"x\",\"session\":\"\",\"prev\":\"" + prev + "\",\"data\":{\"f\":null}}",
       }) {
    auto parsed = ParseAuditRecord(line);
    ASSERT_FALSE(parsed.ok()) << line;
    EXPECT_EQ(parsed.error().code, Errc::kInvalidArgument) << line;
  }
}

TEST(AuditRecordTest, OversizedLineIsRejectedBeforeParsing) {
  auto parsed = ParseAuditRecord(std::string(kMaxAuditLineBytes + 1, ' '));
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code, Errc::kLimitExceeded);
}

TEST(AuditRecordTest, SignedMessageIsDomainSeparatedAndOmitsTheSignature) {
  AuditRecord record = Sample();
  record.data = {{"key", std::string("ab")}, {"sig", std::string("SIGNATURE")}};
  const std::string message = AuditSignedMessage(record);
  EXPECT_TRUE(message.starts_with(kAuditSignatureDomain));
  EXPECT_EQ(message.find("SIGNATURE"), std::string::npos);
  EXPECT_NE(message.find("\"sig\":\"\""), std::string::npos);
}

TEST(AuditRecordTest, HashIsHexSha256OfTheLine) {
  EXPECT_EQ(HashAuditLine("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace safedesk
