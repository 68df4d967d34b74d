// Digest authentication and ACLs, secrets kept out of logs and errors, and
// the C client's own log going through the plugin's sink.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

#include "support/temp_dir.h"
#include "zk_test_util.h"

namespace kreg {
namespace testing {
namespace {

constexpr const char* kPassword = "s3cret-Pa55word-xyzzy";

OpenOptions AuthOptions(const ZooKeeperServer& zk, const std::string& user, const std::string& password,
                        LogCapture* log) {
  OpenOptions o = ZkOptions(zk);
  o.username = user;
  o.password = password;
  o.log = log->Sink();
  o.log_level = KREG_LOG_TRACE;
  return o;
}

Property EmptyProperty(const std::string& service) {
  Property p;
  p.service_name = service;
  return p;
}

TEST(ZooKeeperAuth, OthersMayReadButNotChangeOrDelete) {
  KREG_START_ZOOKEEPER(zk, 1);
  LogCapture log;
  Registry r;
  ASSERT_TRUE(OpenZk(AuthOptions(*zk, "keeper", kPassword, &log), &r).ok());
  ASSERT_TRUE(r.Register(MakeInstance("svc", "a")).ok());
  Property p = EmptyProperty("svc");
  ASSERT_TRUE(r.SetProperty(p).ok());
  const std::string instance = "/discovery/svc/instance/a";
  const std::string property = "/discovery/svc/property/backend";

  std::vector<std::string> acl;
  RawClient anonymous(zk->connect_string());
  ASSERT_TRUE(anonymous.connected());
  ASSERT_EQ(anonymous.GetAcl(instance, &acl), ZOK);
  ASSERT_EQ(acl.size(), 2u);
  EXPECT_EQ(acl[0].rfind("digest:keeper:", 0), 0u) << acl[0];
  EXPECT_EQ(acl[0].substr(acl[0].size() - 3), ":31");
  EXPECT_EQ(acl[1], "world:anyone:1");

  std::string data;
  EXPECT_EQ(anonymous.Get(instance, &data), ZOK);
  EXPECT_EQ(anonymous.Get(property, &data), ZOK);
  EXPECT_EQ(anonymous.Set(instance, "{}"), ZNOAUTH);
  EXPECT_EQ(anonymous.Set(property, "{}"), ZNOAUTH);
  EXPECT_EQ(anonymous.Delete(instance), ZNOAUTH);
  EXPECT_EQ(anonymous.Delete(property), ZNOAUTH);
  EXPECT_EQ(anonymous.CreateAll("/discovery/svc/instance/intruder", "{}"), ZNOAUTH);

  // Another identity fares no better, and gets a clear status through kreg.
  LogCapture other_log;
  Registry other;
  ASSERT_TRUE(OpenZk(AuthOptions(*zk, "keeper", "wrong-password", &other_log), &other).ok());
  Status s = other.SetProperty(p);
  EXPECT_EQ(s.code(), KREG_PERMISSION_DENIED) << s.ToString();
  EXPECT_NE(s.message().find("/discovery lets digest:keeper (another password) create and delete children"),
            std::string::npos)
      << s.message();
  s = other.Register(MakeInstance("svc", "a"));
  EXPECT_EQ(s.code(), KREG_PERMISSION_DENIED) << s.ToString();
  Service svc;
  ASSERT_TRUE(other.GetService("svc", &svc).ok()) << "reads stay open";
  EXPECT_EQ(svc.instance_count(), 1u);

  // The right credentials may write.
  RawClient same(zk->connect_string(), std::string("keeper:") + kPassword);
  ASSERT_TRUE(same.connected());
  EXPECT_EQ(same.Set(property, R"({"service_name":"svc"})"), ZOK);

  ASSERT_TRUE(r.Deregister("svc", "a").ok());
  for (const std::string& line : log.Lines()) EXPECT_EQ(line.find(kPassword), std::string::npos) << line;
  for (const std::string& line : other_log.Lines()) EXPECT_EQ(line.find("wrong-password"), std::string::npos) << line;
  EXPECT_EQ(s.message().find("wrong-password"), std::string::npos);
}

// The ACL entries of `path` as RawClient::GetAcl gives them; empty on failure.
std::vector<std::string> AclOf(RawClient* client, const std::string& path) {
  std::vector<std::string> acl;
  EXPECT_EQ(client->GetAcl(path, &acl), ZOK) << path;
  return acl;
}

// What kreg gives the nodes it writes: all rights to its digest identity,
// reads to anyone.
void ExpectKeepersAcl(RawClient* client, const std::string& path) {
  std::vector<std::string> acl = AclOf(client, path);
  ASSERT_EQ(acl.size(), 2u) << path;
  EXPECT_EQ(acl[0].rfind("digest:keeper:", 0), 0u) << path << ": " << acl[0];
  EXPECT_EQ(acl[0].substr(acl[0].size() - 3), ":31") << path << ": " << acl[0];
  EXPECT_EQ(acl[1], "world:anyone:1") << path;
}

// A directory of the tree created earlier without credentials would let
// anyone delete keeper's instances and put fakes in their place.
TEST(ZooKeeperAuth, OpenDirectoriesOfAStrangerAreRepaired) {
  KREG_START_ZOOKEEPER(zk, 1);
  RawClient stranger(zk->connect_string());
  ASSERT_TRUE(stranger.connected());
  ASSERT_EQ(stranger.CreateAll("/discovery/svc/instance", ""), ZOK);  // world:anyone, all rights
  ASSERT_EQ(stranger.CreateAll("/discovery/svc/instance/fake", R"({"id":"fake","service_name":"svc"})"), ZOK);

  LogCapture log;
  Registry r;
  ASSERT_TRUE(OpenZk(AuthOptions(*zk, "keeper", kPassword, &log), &r).ok());
  ASSERT_TRUE(r.Register(MakeInstance("svc", "a")).ok());
  for (const char* dir : {"/discovery", "/discovery/svc", "/discovery/svc/instance"}) {
    ExpectKeepersAcl(&stranger, dir);
    EXPECT_TRUE(log.Contains("repaired the ACL of " + std::string(dir) + ":", KREG_LOG_WARN)) << log.All();
  }
  EXPECT_TRUE(log.Contains("/discovery/svc/instance/fake", KREG_LOG_WARN)) << "a node left from the open time is named\n"
                                                                        << log.All();
  EXPECT_EQ(stranger.Delete("/discovery/svc/instance/a"), ZNOAUTH);
  EXPECT_EQ(stranger.CreateAll("/discovery/svc/instance/fake2", "{}"), ZNOAUTH);
  Service svc;
  ASSERT_TRUE(r.GetService("svc", &svc).ok());
  EXPECT_EQ(InstancesById(svc).count("a"), 1u);

  // kreg's own tree passes the check as it is.
  LogCapture again_log;
  Registry again;
  ASSERT_TRUE(OpenZk(AuthOptions(*zk, "keeper", kPassword, &again_log), &again).ok());
  ASSERT_TRUE(again.Register(MakeInstance("svc", "b")).ok());
  ASSERT_TRUE(again.SetProperty(EmptyProperty("svc")).ok());
  ASSERT_TRUE(again.Register(MakeInstance("other", "c")).ok());
  EXPECT_EQ(again_log.Lines(KREG_LOG_WARN).size(), 0u) << again_log.All();
  ExpectKeepersAcl(&stranger, "/discovery/svc/property");
  ExpectKeepersAcl(&stranger, "/discovery/other/instance");
}

// Concurrent first writes race to create and check the same directories;
// each loser sees a directory that is already ours.
TEST(ZooKeeperAuth, ConcurrentFirstWritesUnderCredentialsAllSucceed) {
  KREG_START_ZOOKEEPER(zk, 1);
  LogCapture log;
  Registry r;
  ASSERT_TRUE(OpenZk(AuthOptions(*zk, "keeper", kPassword, &log), &r).ok());
  std::vector<Status> results(8);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] {
      results[i] = i % 4 == 3 ? r.SetProperty(EmptyProperty("svc"))
                              : r.Register(MakeInstance("svc", "i" + std::to_string(i)));
    });
  }
  for (std::thread& t : threads) t.join();
  for (const Status& s : results) EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(log.Lines(KREG_LOG_WARN).size(), 0u) << log.All();
  RawClient stranger(zk->connect_string());
  ASSERT_TRUE(stranger.connected());
  ExpectKeepersAcl(&stranger, "/discovery/svc/instance");
}

// Creates `path` as `client` with one ACL entry world:anyone:`perms`.
int CreateWorldNode(RawClient* client, const std::string& path, int perms) {
  ACL entry = {perms, {const_cast<char*>("world"), const_cast<char*>("anyone")}};
  ACL_vector acl = {1, &entry};
  return zoo_create(client->handle(), path.c_str(), nullptr, -1, &acl, 0, nullptr, 0);
}

TEST(ZooKeeperAuth, OpenDirectoryWithoutAdminRightIsRefused) {
  KREG_START_ZOOKEEPER(zk, 1);
  RawClient stranger(zk->connect_string());
  ASSERT_TRUE(stranger.connected());
  ASSERT_EQ(stranger.CreateAll("/discovery/svc", ""), ZOK);
  const int no_admin = ZOO_PERM_READ | ZOO_PERM_WRITE | ZOO_PERM_CREATE | ZOO_PERM_DELETE;
  ASSERT_EQ(CreateWorldNode(&stranger, "/discovery/svc/instance", no_admin), ZOK);

  LogCapture log;
  Registry r;
  ASSERT_TRUE(OpenZk(AuthOptions(*zk, "keeper", kPassword, &log), &r).ok());
  Status s = r.Register(MakeInstance("svc", "a"));
  EXPECT_EQ(s.code(), KREG_PERMISSION_DENIED) << s.ToString();
  EXPECT_NE(s.message().find("/discovery/svc/instance lets world:anyone create and delete children"),
            std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("no ADMIN right"), std::string::npos) << s.message();
  // Nothing was written: no instance, and the repairable parents are as
  // they were.
  std::vector<std::string> children;
  ASSERT_EQ(stranger.Children("/discovery/svc/instance", &children), ZOK);
  EXPECT_TRUE(children.empty());
  EXPECT_EQ(AclOf(&stranger, "/discovery"), std::vector<std::string>{"world:anyone:31"});
  EXPECT_EQ(AclOf(&stranger, "/discovery/svc"), std::vector<std::string>{"world:anyone:31"});

  // Once the operator fixes the directory, the next register goes through.
  ASSERT_EQ(stranger.Delete("/discovery/svc/instance"), ZOK);
  ASSERT_TRUE(r.Register(MakeInstance("svc", "a")).ok());
  ExpectKeepersAcl(&stranger, "/discovery/svc/instance");
}

// Without credentials kreg writes open nodes and checks nothing.
TEST(ZooKeeperAuth, WithoutCredentialsOpenDirectoriesStayOpen) {
  KREG_START_ZOOKEEPER(zk, 1);
  RawClient stranger(zk->connect_string());
  ASSERT_TRUE(stranger.connected());
  ASSERT_EQ(stranger.CreateAll("/discovery/svc/instance", ""), ZOK);
  LogCapture log;
  OpenOptions o = ZkOptions(*zk);
  o.log = log.Sink();
  Registry r;
  ASSERT_TRUE(OpenZk(o, &r).ok());
  ASSERT_TRUE(r.Register(MakeInstance("svc", "a")).ok());
  EXPECT_EQ(AclOf(&stranger, "/discovery/svc/instance"), std::vector<std::string>{"world:anyone:31"});
  EXPECT_EQ(log.Lines(KREG_LOG_WARN).size(), 0u) << log.All();
}

TEST(ZooKeeperAuth, CreatorReadAclClosesReads) {
  KREG_START_ZOOKEEPER(zk, 1);
  LogCapture log;
  OpenOptions o = AuthOptions(*zk, "keeper", kPassword, &log);
  o.options["read_acl"] = "creator";
  Registry r;
  ASSERT_TRUE(OpenZk(o, &r).ok());
  ASSERT_TRUE(r.Register(MakeInstance("svc", "a")).ok());
  Service svc;
  ASSERT_TRUE(r.GetService("svc", &svc).ok());
  EXPECT_EQ(svc.instance_count(), 1u);

  RawClient anonymous(zk->connect_string());
  std::string data;
  EXPECT_EQ(anonymous.Get("/discovery/svc/instance/a", &data), ZNOAUTH);

  LogCapture other_log;
  Registry other;
  ASSERT_TRUE(OpenZk(AuthOptions(*zk, "intruder", "pw", &other_log), &other).ok());
  Status s = other.GetService("svc", &svc);
  EXPECT_EQ(s.code(), KREG_PERMISSION_DENIED) << s.ToString();
  // A watch that cannot read fails at once, each time it is tried.
  for (int attempt = 0; attempt < 2; ++attempt) {
    EventRecorder rec;
    std::unique_ptr<Watch> w;
    s = other.StartWatch(rec.Callback(), &w);
    EXPECT_EQ(s.code(), KREG_PERMISSION_DENIED) << "attempt " << attempt << ": " << s.ToString();
  }
}

TEST(ZooKeeperLog, ClientLogGoesToTheSinkNotStderr) {
  KREG_START_ZOOKEEPER(zk, 1);
  TempDir dir;
  std::string captured = dir.Join("stderr");
  std::fflush(stderr);
  int saved = dup(2);
  FILE* f = std::fopen(captured.c_str(), "w");
  ASSERT_NE(f, nullptr);
  dup2(fileno(f), 2);
  LogCapture log;
  {
    Registry r;
    Status s = OpenZk(AuthOptions(*zk, "keeper", kPassword, &log), &r);
    if (s.ok()) s = r.Register(MakeInstance("svc", "a"));
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  std::fflush(stderr);
  dup2(saved, 2);
  close(saved);
  std::fclose(f);
  std::string err = ReadFile(captured);
  EXPECT_EQ(err.find("ZOO_"), std::string::npos) << err;
  EXPECT_TRUE(log.Contains("zookeeper client:")) << log.All();
  for (const std::string& line : log.Lines()) EXPECT_EQ(line.find(kPassword), std::string::npos) << line;
}

// While the ensemble is down the client tries to reconnect several times a
// second and logs each attempt; at the default level a keeper logs the
// change once, not the attempts.
TEST(ZooKeeperLog, LostEnsembleIsOneLineNotOnePerAttempt) {
  KREG_START_ZOOKEEPER(zk, 1);
  LogCapture log;
  OpenOptions o = ZkOptions(*zk);
  o.options["session_timeout"] = "30s";  // no expiry while it is down
  o.log = log.Sink();
  Registry r;
  ASSERT_TRUE(OpenZk(o, &r).ok());
  ASSERT_TRUE(r.Register(MakeInstance("svc", "a")).ok());
  size_t before = log.Lines(KREG_LOG_INFO).size();
  zk->Kill(0);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  std::vector<std::string> lines = log.Lines(KREG_LOG_INFO);
  lines.erase(lines.begin(), lines.begin() + static_cast<std::ptrdiff_t>(before));
  std::string all;
  for (const std::string& line : lines) all += line + "\n";
  EXPECT_EQ(lines.size(), 1u) << all;
  EXPECT_TRUE(log.Contains("lost the connection", KREG_LOG_WARN)) << all;
}

}  // namespace
}  // namespace testing
}  // namespace kreg
