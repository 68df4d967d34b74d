// ServiceLister (plugins/zookeeper/src/service_lister.h) when the server
// stops answering in the middle of a listing: it fails by its own
// deadline, and the replies still due, arriving after it returned or
// failed at the session's close, touch nothing of the caller's. Run under
// ASan and TSan, a reply reaching freed memory fails the test.
//
// White-box: the listing's deadline is the caller's here, while through
// the plugin it is the timeout once per service, after the root's listing.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "kreg/json_format.hpp"
#include "layout.h"
#include "options.h"
#include "requests.h"
#include "service_lister.h"
#include "session.h"
#include "support/sample.h"
#include "support/zookeeper_server.h"
#include "zk_test_util.h"

namespace kreg {
namespace zk {
namespace {

using testing::RawClient;
using testing::ZooKeeperServer;

constexpr int kServices = 40;
constexpr int kInstancesPerService = 10;

std::vector<std::string> MakeTree(RawClient* raw) {
  std::vector<std::string> names;
  for (int s = 0; s < kServices; ++s) {
    names.push_back("svc-" + std::to_string(100 + s));
    for (int i = 0; i < kInstancesPerService; ++i) {
      const std::string id = "i" + std::to_string(i);
      const std::string json = format::EncodeInstance(testing::MakeInstance(names.back(), id));
      EXPECT_EQ(raw->CreateAll("/discovery/" + names.back() + "/instance/" + id, json), ZOK);
    }
  }
  return names;
}

Options SessionOptions(const ZooKeeperServer& server) {
  Options o;
  o.hosts = server.connect_string();
  o.root = "/discovery";
  o.timeout = std::chrono::seconds(10);
  o.session_timeout = std::chrono::seconds(4);
  return o;
}

// Collects what a listing emits.
ServiceLister::ServiceFn AppendTo(std::vector<Service>* out) {
  return [out](Service&& service) { out->push_back(std::move(service)); };
}

// True when `out` is the services names[0..out.size()), each whole, as a
// failed listing may have emitted before it failed.
bool IsWholePrefixOf(const std::vector<Service>& out, const std::vector<std::string>& names) {
  if (out.size() > names.size()) return false;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i].service_name != names[i]) return false;
    if (out[i].instance_count() != static_cast<size_t>(kInstancesPerService)) return false;
  }
  return true;
}

// A server holding the tree, and a session of the plugin's on it.
class ZooKeeperServiceLister : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    zk_ = ZooKeeperServer::Start(1, &error);
    ASSERT_NE(zk_, nullptr) << error;
    RawClient raw(zk_->connect_string());
    ASSERT_TRUE(raw.connected());
    names_ = MakeTree(&raw);
    ASSERT_TRUE(Session::Open(SessionOptions(*zk_), plugin::Logger(), &session_).ok());
  }

  std::unique_ptr<ZooKeeperServer> zk_;
  std::vector<std::string> names_;
  std::unique_ptr<Session> session_;
  const Layout layout_{"/discovery"};
};

TEST_F(ZooKeeperServiceLister, ListsTheTreeWhole) {
  std::vector<Service> out;
  Status s = ServiceLister(session_.get(), &layout_, plugin::Logger())
                 .List(names_, Deadline::After(std::chrono::seconds(30)), AppendTo(&out));
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(out.size(), names_.size());
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].service_name, names_[i]);
    EXPECT_EQ(out[i].instance_count(), static_cast<size_t>(kInstancesPerService));
  }
}

TEST_F(ZooKeeperServiceLister, PausedServerTimesOutByTheDeadlineAndLateRepliesAreDropped) {
  std::vector<Service> out;
  {
    const ServiceLister lister(session_.get(), &layout_, plugin::Logger());
    zk_->Pause(0);
    auto start = std::chrono::steady_clock::now();
    Status s = lister.List(names_, Deadline::After(std::chrono::milliseconds(1500)), AppendTo(&out));
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(s.code(), KREG_TIMEOUT) << s.ToString();
    EXPECT_NE(s.message().find("/discovery/svc-"), std::string::npos) << s.message();
    EXPECT_LT(took, std::chrono::seconds(4));
    EXPECT_TRUE(out.empty()) << "nothing was read to emit";
  }
  // The requests still out are answered now, after List returned (or fail
  // with the connection, if the client gave up on it meanwhile).
  zk_->Resume(0);
  ASSERT_TRUE(session_->WaitConnected(Deadline::After(std::chrono::seconds(20))));
  Reply r = GetChildren(session_.get(), "/discovery", false, Deadline::After(std::chrono::seconds(10)));
  EXPECT_EQ(r.rc, ZOK) << "the session serves on";
  EXPECT_EQ(r.children.size(), names_.size());
}

TEST_F(ZooKeeperServiceLister, StoppedServerFailsByTheDeadlineAndCloseDropsWhatIsDue) {
  std::vector<Service> out;
  // Stopped while the listing runs (or before it starts): its reads fail
  // with the connection, are retried, and fail again until the deadline.
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    zk_->Kill(0);
  });
  const ServiceLister lister(session_.get(), &layout_, plugin::Logger());
  auto start = std::chrono::steady_clock::now();
  Status s = lister.List(names_, Deadline::After(std::chrono::milliseconds(1500)), AppendTo(&out));
  auto took = std::chrono::steady_clock::now() - start;
  stopper.join();
  if (s.ok()) {
    EXPECT_EQ(out.size(), names_.size()) << "done before the server went";
  } else {
    EXPECT_TRUE(s.code() == KREG_UNAVAILABLE || s.code() == KREG_TIMEOUT) << s.ToString();
    EXPECT_TRUE(IsWholePrefixOf(out, names_)) << "emitted in order, each whole, before the failure";
  }
  EXPECT_LT(took, std::chrono::seconds(4));
  // A second listing, with the server surely gone, fails the same way.
  start = std::chrono::steady_clock::now();
  out.clear();
  s = lister.List(names_, Deadline::After(std::chrono::milliseconds(1500)), AppendTo(&out));
  EXPECT_TRUE(s.code() == KREG_UNAVAILABLE || s.code() == KREG_TIMEOUT) << s.ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
  // Closing the session fails whatever is still queued (ZCLOSING) into
  // the abandoned listings.
  session_.reset();
}

}  // namespace
}  // namespace zk
}  // namespace kreg
