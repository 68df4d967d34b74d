// etcd authentication: a user whose role may write the registry, one whose
// role may only read it, a wrong password, and the password never logged.
#include <gtest/gtest.h>

#include <thread>

#include "etcd_test_util.h"

namespace kreg {
namespace testing {
namespace {

constexpr const char* kRootPassword = "root-secret-5f2e";
constexpr const char* kKeeperPassword = "keeper-secret-91ab";
constexpr const char* kReaderPassword = "reader-secret-03cd";

class EtcdAuth : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    // Tokens that expire after a second idle: the backend must fetch new ones.
    EtcdServer::Options options;
    options.extra_flags = {"--auth-token-ttl=1"};
    etcd_ = EtcdServer::Start(1, &error, options);
    ASSERT_NE(etcd_, nullptr) << error;
    for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
             {"user", "add", std::string("root:") + kRootPassword},
             {"role", "add", "registry-rw"},
             {"role", "grant-permission", "registry-rw", "--prefix=true", "readwrite", "/discovery/"},
             {"role", "add", "registry-ro"},
             {"role", "grant-permission", "registry-ro", "--prefix=true", "read", "/discovery/"},
             {"user", "add", std::string("keeper:") + kKeeperPassword},
             {"user", "grant-role", "keeper", "registry-rw"},
             {"user", "add", std::string("reader:") + kReaderPassword},
             {"user", "grant-role", "reader", "registry-ro"},
             {"auth", "enable"}}) {
      std::string out;
      ASSERT_EQ(etcd_->Etcdctl(args, &out), 0) << out;
    }
  }

  OpenOptions As(const std::string& user, const std::string& password) {
    OpenOptions o = EtcdOptions(*etcd_);
    o.username = user;
    o.password = password;
    o.log = log_.Sink();
    o.log_level = KREG_LOG_TRACE;
    return o;
  }

  std::unique_ptr<EtcdServer> etcd_;
  LogCapture log_;
};

TEST_F(EtcdAuth, AUserWithTheRoleWritesReadsAndWatches) {
  Registry r;
  ASSERT_TRUE(OpenEtcd(As("keeper", kKeeperPassword), &r).ok());
  ASSERT_TRUE(r.Register(MakeInstance("svc", "a")).ok());
  EventRecorder rec;
  std::unique_ptr<Watch> w;
  ASSERT_TRUE(r.StartWatch(rec.Callback(), &w).ok());
  ASSERT_TRUE(rec.WaitSynced());
  ASSERT_TRUE(r.Register(MakeInstance("svc", "b")).ok());
  EXPECT_TRUE(rec.WaitUntil([](const EventRecorder::Model& m) { return m.instances.at("svc").size() == 2; }));
  Service s;
  ASSERT_TRUE(r.GetService("svc", &s).ok());
  EXPECT_EQ(s.instance_count(), 2u);
  EXPECT_EQ(log_.All().find(kKeeperPassword), std::string::npos) << "the password is never logged";
}

TEST_F(EtcdAuth, AnExpiredTokenIsReplaced) {
  OpenOptions o = As("keeper", kKeeperPassword);
  o.options["session_timeout"] = "30s";  // no keepalive meanwhile keeps the token in use
  Registry r;
  ASSERT_TRUE(OpenEtcd(o, &r).ok());
  ASSERT_TRUE(r.Register(MakeInstance("svc", "a")).ok());
  std::this_thread::sleep_for(std::chrono::seconds(3));
  Status s = r.Register(MakeInstance("svc", "b"));
  EXPECT_TRUE(s.ok()) << s.ToString();
  Property p;
  p.service_name = "svc";
  EXPECT_TRUE(r.SetProperty(p).ok());
  Service read;
  ASSERT_TRUE(r.GetService("svc", &read).ok());
  EXPECT_EQ(read.instance_count(), 2u);
}

TEST_F(EtcdAuth, AUserWhoseRoleMayOnlyReadCannotWrite) {
  Registry r;
  Status s = OpenEtcd(As("reader", kReaderPassword), &r);
  ASSERT_TRUE(s.ok()) << s.ToString();
  s = r.Register(MakeInstance("svc", "a"));
  EXPECT_EQ(s.code(), KREG_PERMISSION_DENIED) << s.ToString();
  EXPECT_NE(s.message().find("svc/a"), std::string::npos) << s.message();
  Property p;
  p.service_name = "svc";
  EXPECT_EQ(r.SetProperty(p).code(), KREG_PERMISSION_DENIED);
  std::string out;
  ASSERT_EQ(etcd_->Etcdctl({"--user", std::string("root:") + kRootPassword, "get", "/discovery/", "--prefix"}, &out), 0);
  EXPECT_EQ(out, "") << "nothing was written";
  EXPECT_EQ(log_.All().find(kReaderPassword), std::string::npos);
  EXPECT_EQ(s.message().find(kReaderPassword), std::string::npos);
}

TEST_F(EtcdAuth, NoCredentialsOnAServerWithAuthSaysWhatToSet) {
  Registry r;
  ASSERT_TRUE(OpenEtcd(EtcdOptions(*etcd_), &r).ok()) << "etcd grants leases without a token";
  Status s = r.Register(MakeInstance("svc", "a"));
  EXPECT_EQ(s.code(), KREG_PERMISSION_DENIED) << s.ToString();
  EXPECT_NE(s.message().find("password_env"), std::string::npos) << s.message();
}

TEST_F(EtcdAuth, AWrongPasswordIsRefusedAtOpenWithoutShowingIt) {
  Registry r;
  const std::string wrong = "not-the-password-77aa";
  Status s = OpenEtcd(As("keeper", wrong), &r);
  EXPECT_EQ(s.code(), KREG_PERMISSION_DENIED) << s.ToString();
  EXPECT_NE(s.message().find("keeper"), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find(wrong), std::string::npos);
  EXPECT_EQ(log_.All().find(wrong), std::string::npos);
}

}  // namespace
}  // namespace testing
}  // namespace kreg
