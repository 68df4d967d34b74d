// Counters at the largest int64: a change that would overflow one is
// refused before anything is written.
#include <gtest/gtest.h>

#include "file_test_util.h"

namespace kreg {
namespace file_test {
namespace {

using std::chrono::seconds;

// A registry file with one service holding instance "a" (lease ending in
// an hour) whose counters are the given JSON numbers.
std::string FileWith(const std::string& revision, const std::string& data_version,
                     const std::string& property_data_version) {
  const int64_t expires = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch() + std::chrono::hours(1))
                              .count();
  return R"({"format":"kreg-file","format_version":1,"revision":)" + revision +
         R"(,"services":{"svc":{"version":5,"property":{"data":{"service_name":"svc"},"version":5,"data_version":)" +
         property_data_version + R"(},"instances":{"a":{"data":{"service_name":"svc","id":"a","zone":"z1"},)" +
         R"("version":5,"data_version":)" + data_version + R"(,"expires_at_ms":)" + std::to_string(expires) +
         "}}}}}\n";
}

class FileRevisionLimitTest : public ::testing::Test {
 protected:
  // Expects `s` to be a refusal naming `what`, and the file unchanged.
  void ExpectRefused(const Status& s, const std::string& what) {
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find(what), std::string::npos) << s.ToString();
    EXPECT_NE(s.message().find(path_), std::string::npos) << s.ToString();
    EXPECT_EQ(ReadBytes(path_), bytes_) << "the file was changed";
  }

  void Write(const std::string& bytes) {
    bytes_ = bytes;
    WriteBytes(path_, bytes_);
    ASSERT_TRUE(OpenFileRegistry(path_, &registry_).ok());
  }

  TempDir dir_;
  std::string path_ = dir_.Join("registry.json");
  std::string bytes_;
  Registry registry_;
};

TEST_F(FileRevisionLimitTest, FileRevisionAtTheMaximumRefusesEveryChange) {
  Write(FileWith("9223372036854775807", "1", "1"));
  Service s;
  ASSERT_TRUE(registry_.GetService("svc", &s).ok()) << "reads still work";
  EXPECT_EQ(s.instance_count(), 1u);
  ExpectRefused(registry_.Register(MakeInstance("svc", "b")), "revision");
  ExpectRefused(registry_.Deregister("svc", "a"), "revision");
  Property p;
  p.service_name = "svc";
  ExpectRefused(registry_.SetProperty(p), "revision");
}

TEST_F(FileRevisionLimitTest, DataVersionAtTheMaximumRefusesARewrite) {
  Write(FileWith("5", "9223372036854775807", "1"));
  ExpectRefused(registry_.Register(MakeInstance("svc", "a"), {seconds(30), /*refresh=*/true}), "data_version");
  // Other entries can still change.
  EXPECT_TRUE(registry_.Register(MakeInstance("svc", "b")).ok());
}

TEST_F(FileRevisionLimitTest, PropertyDataVersionAtTheMaximumRefusesASet) {
  Write(FileWith("5", "1", "9223372036854775807"));
  Property p;
  p.service_name = "svc";
  ExpectRefused(registry_.SetProperty(p), "data_version");
}

}  // namespace
}  // namespace file_test
}  // namespace kreg
