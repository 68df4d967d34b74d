// A file that is not a kreg file fails every operation and is never
// overwritten; a malformed record inside a good file is skipped and kept.
#include <gtest/gtest.h>

#include <ostream>
#include <string>

#include "file_test_util.h"

namespace kreg {
namespace file_test {
namespace {

struct CorruptCase {
  const char* name;
  const char* bytes;
  const char* says;  // part of the error message
};

// Names the case in test listings instead of dumping its bytes.
void PrintTo(const CorruptCase& c, std::ostream* os) { *os << c.name; }

class FileCorruptTest : public ::testing::TestWithParam<CorruptCase> {};

void ExpectCorrupt(const Status& s, const std::string& path, const char* says, const char* op) {
  EXPECT_EQ(s.code(), KREG_CORRUPT) << op << ": " << s.ToString();
  EXPECT_NE(s.message().find(path), std::string::npos) << op << ": " << s.message();
  EXPECT_NE(s.message().find(says), std::string::npos) << op << ": " << s.message();
  EXPECT_NE(s.message().find("move it away or fix it"), std::string::npos) << op << ": " << s.message();
}

TEST_P(FileCorruptTest, EveryOperationFailsAndTheFileIsKept) {
  TempDir dir;
  const std::string path = dir.Join("registry.json");
  const std::string bytes = GetParam().bytes;
  WriteBytes(path, bytes);
  Registry r;
  ASSERT_TRUE(OpenFileRegistry(path, &r).ok());
  const char* says = GetParam().says;

  ExpectCorrupt(r.Register(MakeInstance("svc", "a")), path, says, "register");
  ExpectCorrupt(r.Register(MakeInstance("svc", "a"), {std::chrono::seconds(30), true}), path, says, "refresh");
  ExpectCorrupt(r.Deregister("svc", "a"), path, says, "deregister");
  Service service;
  ExpectCorrupt(r.GetService("svc", &service), path, says, "get");
  std::vector<Service> all;
  ExpectCorrupt(r.ListServices(&all), path, says, "list");
  Property p;
  p.service_name = "svc";
  ExpectCorrupt(r.SetProperty(p), path, says, "set_property");
  EventRecorder recorder;
  std::unique_ptr<Watch> watch;
  ExpectCorrupt(r.StartWatch(recorder.Callback(), &watch), path, says, "watch");
  EXPECT_TRUE(recorder.events().empty());

  EXPECT_EQ(ReadBytes(path), bytes);
}

// JSON nested deeper than the plugin reads: 600 arrays in one another.
const std::string kDeep = std::string(600, '[') + std::string(600, ']');
const std::string kDeepTopLevel =
    R"({"format":"kreg-file","format_version":1,"revision":0,"services":{},"x":)" + kDeep + "}";

INSTANTIATE_TEST_SUITE_P(
    Files, FileCorruptTest,
    ::testing::Values(CorruptCase{"Garbage", "\x01\x02 not json at all", "not valid JSON"},
                      CorruptCase{"Empty", "", "empty"},
                      CorruptCase{"Truncated",
                                  R"({"format":"kreg-file","format_version":1,"revision":3,"services":{"svc":{"ver)",
                                  "not valid JSON"},
                      CorruptCase{"TrailingGarbage",
                                  R"({"format":"kreg-file","format_version":1,"revision":0,"services":{}} x)",
                                  "not valid JSON"},
                      CorruptCase{"BadUtf8InAnEntry",
                                  "{\"format\":\"kreg-file\",\"format_version\":1,\"revision\":1,\"services\":"
                                  "{\"s\":{\"version\":1,\"instances\":{\"a\":{\"data\":{\"zone\":\"\xc3(\"}}}}}}",
                                  "not valid JSON"},
                      CorruptCase{"LoneSurrogateAtTheTopLevel",
                                  R"({"format":"kreg-file","format_version":1,"revision":0,"services":{},"x":"\udc00"})",
                                  "\"x\" holds a lone surrogate escape"},
                      CorruptCase{"DeepAtTheTopLevel", kDeepTopLevel.c_str(), "\"x\" nests deeper than 512 levels"},
                      CorruptCase{"LeadingZero",
                                  R"({"format":"kreg-file","format_version":1,"revision":01,"services":{}})",
                                  "not valid JSON"},
                      CorruptCase{"NumberOverflow",
                                  R"({"format":"kreg-file","format_version":1,"revision":0,"services":{},"x":1e999})",
                                  "not valid JSON"},
                      CorruptCase{"NotAnObject", "[1, 2, 3]", "not a JSON object"},
                      CorruptCase{"OtherFormat", R"({"format":"something-else","services":{}})", "\"format\""},
                      CorruptCase{"NewerVersion",
                                  R"({"format":"kreg-file","format_version":2,"revision":0,"services":{}})",
                                  "format_version"},
                      CorruptCase{"ServicesNotObject",
                                  R"({"format":"kreg-file","format_version":1,"revision":0,"services":[]})",
                                  "\"services\""},
                      // Reading one of two would drop the other at the next write.
                      CorruptCase{"TopLevelKeyTwice",
                                  R"({"format":"kreg-file","format_version":1,"revision":0,"services":{"s":)"
                                  R"({"version":1,"instances":{}}},"services":{}})",
                                  "the top-level key \"services\" appears twice"},
                      CorruptCase{"ServiceTwice",
                                  R"({"format":"kreg-file","format_version":1,"revision":0,"services":{"s":)"
                                  R"({"version":1,"instances":{}},"s":{"version":2,"instances":{}}}})",
                                  "the service \"s\" appears twice"},
                      CorruptCase{"LoneSurrogateInAServiceName",
                                  R"({"format":"kreg-file","format_version":1,"revision":0,"services":{"\ud800":)"
                                  R"({"version":5,"instances":{}}}})",
                                  "a service name holds a lone surrogate escape"}),
    [](const ::testing::TestParamInfo<CorruptCase>& param_info) { return std::string(param_info.param.name); });

// A registry holding svc/good, to which another tool then adds records.
class FileMalformedRecord : public WatchedFileTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(WatchedFileTest::SetUp());
    ASSERT_TRUE(registry_.Register(MakeInstance("svc", "good")).ok());
  }
};

TEST_F(FileMalformedRecord, SkippedWithAWarningAndKeptOnRewrite) {
  // Another tool adds records this plugin cannot read.
  nlohmann::json doc = ReadJson(path_);
  const nlohmann::json bad_entry = {{"data", {{"zone", 5}}}, {"version", 1}, {"data_version", 1},
                                    {"expires_at_ms", 1}, {"note", "from elsewhere"}};
  const nlohmann::json bad_service = {{"version", "seven"}, {"instances", {{"x", 1}}}};
  const nlohmann::json headerless = {{"data", {{"id", "h"}}}};
  doc["services"]["svc"]["instances"]["bad"] = bad_entry;
  doc["services"]["svc"]["instances"]["headerless"] = headerless;
  doc["services"]["broken"] = bad_service;
  doc["extra_top_level"] = {1, 2, 3};
  WriteBytes(path_, doc.dump());

  Service s;
  ASSERT_TRUE(registry_.GetService("svc", &s).ok());
  EXPECT_EQ(s.instance_count(), 1u);
  EXPECT_EQ(s.instances.at("z1").count("good"), 1u);
  EXPECT_TRUE(log_.Contains(KREG_LOG_WARN, "instances[\"bad\"]"));
  EXPECT_TRUE(log_.Contains(KREG_LOG_WARN, "services[\"broken\"]"));
  EXPECT_TRUE(log_.Contains(KREG_LOG_WARN, path_));
  EXPECT_EQ(registry_.GetService("broken", &s).code(), KREG_NOT_FOUND);
  std::vector<Service> all;
  ASSERT_TRUE(registry_.ListServices(&all).ok());
  EXPECT_EQ(all.size(), 1u);

  // Writing other entries keeps every record the plugin did not touch,
  // even the unreadable entry whose lease field says it ended long ago.
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "other")).ok());
  ASSERT_TRUE(registry_.Deregister("svc", "good").ok());
  nlohmann::json after = ReadJson(path_);
  EXPECT_EQ(after["services"]["svc"]["instances"]["bad"], bad_entry);
  EXPECT_EQ(after["services"]["svc"]["instances"]["headerless"], headerless);
  EXPECT_EQ(after["services"]["broken"], bad_service);
  EXPECT_EQ(after["extra_top_level"], doc["extra_top_level"]);
  EXPECT_TRUE(after["services"]["svc"]["instances"].contains("other"));

  // A service whose record is malformed is not changed.
  Status st = registry_.Register(MakeInstance("broken", "y"));
  EXPECT_EQ(st.code(), KREG_CORRUPT);
  EXPECT_NE(st.message().find("broken"), std::string::npos) << st.message();
  EXPECT_EQ(ReadJson(path_)["services"]["broken"], bad_service);
}

// A record only another tool could write: JSON by the grammar, but nested
// deeper than the plugin reads or holding a lone surrogate escape (what
// Python's json writes for such a string). It is one malformed record.
struct ForeignCase {
  const char* name;
  bool is_service;      // a whole service record "foreign", else entry svc/bad
  std::string text;     // the record, byte for byte
  const char* says;     // part of the warning
};

void PrintTo(const ForeignCase& c, std::ostream* os) { *os << c.name; }

class FileForeignRecordTest : public WatchedFileTest, public ::testing::WithParamInterface<ForeignCase> {};

TEST_P(FileForeignRecordTest, IsSkippedWithAWarningAndKeptByteForByte) {
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "good")).ok());
  ASSERT_TRUE(registry_.Register(MakeInstance("other", "x")).ok());

  // nlohmann cannot write the record, so it goes in as text.
  nlohmann::json doc = ReadJson(path_);
  if (GetParam().is_service) {
    doc["services"]["foreign"] = "@RECORD@";
  } else {
    doc["services"]["svc"]["instances"]["bad"] = "@RECORD@";
  }
  std::string bytes = doc.dump();
  bytes.replace(bytes.find("\"@RECORD@\""), 10, GetParam().text);
  WriteBytes(path_, bytes);

  Service s;
  Status st = registry_.GetService("svc", &s);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(s.instance_count(), 1u);
  EXPECT_EQ(s.instances.at("z1").count("good"), 1u);
  ASSERT_TRUE(registry_.GetService("other", &s).ok());
  std::vector<Service> all;
  ASSERT_TRUE(registry_.ListServices(&all).ok());
  EXPECT_EQ(all.size(), 2u);
  EXPECT_TRUE(log_.Contains(KREG_LOG_WARN, GetParam().says));
  EXPECT_TRUE(log_.Contains(KREG_LOG_WARN, GetParam().is_service ? "services[\"foreign\"]" : "instances[\"bad\"]"));
  StartWatch();
  EXPECT_GE(FindEvent(recorder_.events(), EventType::kCreate, "svc", "good"), 0);

  // Writes go on around it and copy it through unchanged.
  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "new")).ok());
  ASSERT_TRUE(registry_.Deregister("other", "x").ok());
  ASSERT_TRUE(registry_.GetService("svc", &s).ok());
  EXPECT_EQ(s.instance_count(), 2u);
  EXPECT_NE(ReadBytes(path_).find(GetParam().text), std::string::npos) << "the record was not kept as it was";
}

const std::string kLoneSurrogateEntry =
    R"({"data":{"hostname":"\udc80"},"version":1,"data_version":1,"expires_at_ms":99999999999999})";
const std::string kGoodEntry =
    R"({"data":{"hostname":"h"},"version":1,"data_version":1,"expires_at_ms":99999999999999})";
const std::string kDeepEntry =
    R"({"data":{"hostname":"h"},"version":1,"data_version":1,"expires_at_ms":99999999999999,"x":)" + kDeep + "}";

INSTANTIATE_TEST_SUITE_P(
    Records, FileForeignRecordTest,
    ::testing::Values(ForeignCase{"EntryWithALoneSurrogate", false, kLoneSurrogateEntry, "lone surrogate escape"},
                      ForeignCase{"DeepEntry", false, kDeepEntry, "nests deeper than 512 levels"},
                      ForeignCase{"ServiceWithALoneSurrogate", true,
                                  R"({"version":1,"note":"\udc80","instances":{}})", "lone surrogate escape"},
                      ForeignCase{"ServiceWithALoneSurrogateId", true,
                                  R"({"version":1,"instances":{"\udc80":{}}})", "lone surrogate escape"},
                      ForeignCase{"DeepService", true, R"({"version":1,"instances":{},"x":)" + kDeep + "}",
                                  "nests deeper than 512 levels"},
                      ForeignCase{"EntryWithAKeyTwice", false,
                                  R"({"data":{"hostname":"h"},"version":1,"data_version":1,"expires_at_ms":1,)"
                                  R"("expires_at_ms":99999999999999})",
                                  "holds the key \"expires_at_ms\" twice"},
                      ForeignCase{"ServiceWithAPropertyKeyTwice", true,
                                  R"({"version":1,"instances":{},"property":{"data":{},"version":1,"version":2}})",
                                  "\"property\" holds the key \"version\" twice"},
                      ForeignCase{"ServiceWithAKeyTwice", true,
                                  R"({"version":1,"instances":{"a":)" + kGoodEntry + R"(},"instances":{}})",
                                  "the key \"instances\" appears twice"},
                      ForeignCase{"ServiceWithAnIdTwice", true,
                                  R"({"version":1,"instances":{"a":)" + kGoodEntry + R"(,"a":{}}})",
                                  "the instance \"a\" appears twice"}),
    [](const ::testing::TestParamInfo<ForeignCase>& param_info) { return std::string(param_info.param.name); });

// Members another tool added, with numbers no double holds: writes of
// other records, a keepalive of the entry and a property change of the
// service keep their text byte for byte.
TEST(FileForeignMembers, KeepTheirText) {
  TempDir dir;
  const std::string path = dir.Join("registry.json");
  // The lease ends within half the keepalive's TTL, so the keepalive writes.
  const int64_t expires_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::system_clock::now().time_since_epoch() + std::chrono::minutes(1))
                                    .count();
  WriteBytes(path,
             R"({"format":"kreg-file","format_version":1,"revision":10,"x_top":123456789012345678901234567890,)"
             R"("services":{"s":{"version":5,"x_svc":98765432109876543210987,"instances":{"a":{"data":{"id":"a",)"
             R"("x_inst":11111111111111111111111111},"version":5,"data_version":1,"expires_at_ms":)" +
                 std::to_string(expires_at_ms) + R"(,"x_entry":22222222222222222222222}}}}})");
  Registry r;
  ASSERT_TRUE(OpenFileRegistry(path, &r).ok());
  ASSERT_TRUE(r.Register(MakeInstance("t", "n1")).ok());
  Instance a;
  a.service_name = "s";
  a.id = "a";
  ASSERT_TRUE(r.Register(a, {std::chrono::hours(1), false}).ok());  // a keepalive: data as stored
  Property p;
  p.service_name = "s";
  ASSERT_TRUE(r.SetProperty(p).ok());
  const std::string after = ReadBytes(path);
  EXPECT_EQ(after.find("\"expires_at_ms\":" + std::to_string(expires_at_ms)), std::string::npos)
      << "the keepalive did not write";
  for (const char* text : {R"("x_top":123456789012345678901234567890)", R"("x_svc":98765432109876543210987)",
                           R"("x_inst":11111111111111111111111111)", R"("x_entry":22222222222222222222222)"}) {
    EXPECT_NE(after.find(text), std::string::npos) << text << " is gone from " << after;
  }
}

// Names the API refuses, stored by another tool: served, such a record could
// be neither read nor removed by name.
TEST_F(FileMalformedRecord, NamesTheApiRefusesAreSkippedAndKept) {
  nlohmann::json doc = ReadJson(path_);
  nlohmann::json bad_id_entry = doc["services"]["svc"]["instances"]["good"];
  bad_id_entry["data"].erase("id");
  for (const char* id : {"a b", "..", "x/y", ""}) doc["services"]["svc"]["instances"][id] = bad_id_entry;
  // Its lease long over: a sweep that took the service for one of its own
  // would remove the entry.
  nlohmann::json service = doc["services"]["svc"];
  service["instances"].erase("good");
  service["instances"]["x"] = doc["services"]["svc"]["instances"]["good"];
  service["instances"]["x"]["data"]["id"] = "x";
  service["instances"]["x"]["expires_at_ms"] = 1;
  for (const char* name : {"bad name", ""}) doc["services"][name] = service;
  WriteBytes(path_, doc.dump());

  Service s;
  ASSERT_TRUE(registry_.GetService("svc", &s).ok());
  EXPECT_EQ(s.instance_count(), 1u);
  EXPECT_TRUE(log_.Contains(KREG_LOG_WARN, "instances[\"a b\"]: its key is no instance id"));
  std::vector<Service> all;
  ASSERT_TRUE(registry_.ListServices(&all).ok());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].service_name, "svc");
  EXPECT_TRUE(log_.Contains(KREG_LOG_WARN, "services[\"bad name\"]: its key is no service name"));
  EXPECT_EQ(registry_.Register(MakeInstance("bad name", "y")).code(), KREG_INVALID_ARGUMENT);

  ASSERT_TRUE(registry_.Register(MakeInstance("svc", "other")).ok());
  nlohmann::json after = ReadJson(path_);
  EXPECT_EQ(after["services"]["svc"]["instances"]["a b"], bad_id_entry);
  EXPECT_EQ(after["services"]["svc"]["instances"][""], bad_id_entry);
  EXPECT_EQ(after["services"]["bad name"], service);
  EXPECT_EQ(after["services"][""], service);
}

}  // namespace
}  // namespace file_test
}  // namespace kreg
