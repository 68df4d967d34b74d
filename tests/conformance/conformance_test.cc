#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "conformance/conformance.h"
#include "kreg/data_model.hpp"
#include "kreg/duration.hpp"
#include "kreg/host/open.h"
#include "kreg/json_format.hpp"
#include "kreg/registry.hpp"
#include "kreg/validate.hpp"
#include "support/process.h"
#include "support/sample.h"
#include "support/version_rule.h"

namespace kreg {
namespace testing {
namespace {

using std::chrono::milliseconds;

std::vector<ConformanceTarget>& Targets() {
  static std::vector<ConformanceTarget> targets;
  return targets;
}

// Collects a watch's events; thread-safe.
class EventLog {
 public:
  // Keeps only events of services whose name starts with `prefix`, plus
  // SYNCED and ERROR markers.
  explicit EventLog(std::string prefix) : prefix_(std::move(prefix)) {}

  void Add(const WatchEvent& e) {
    if (e.type != EventType::kSynced && e.type != EventType::kError && e.service_name.rfind(prefix_, 0) != 0) {
      return;
    }
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(e);
  }

  std::vector<WatchEvent> events() const {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }
  size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return events_.size();
  }

  bool Has(EventType type, EventInfo info, const std::string& service, const std::string& id) const {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& e : events_) {
      if (e.type == type && e.info == info && e.service_name == service &&
          (info != EventInfo::kInstance || e.instance.id == id)) {
        return true;
      }
    }
    return false;
  }

  bool synced() const { return Count(EventType::kSynced) > 0; }

  size_t Count(EventType type) const {
    std::lock_guard<std::mutex> lock(mu_);
    return std::count_if(events_.begin(), events_.end(), [&](const WatchEvent& e) { return e.type == type; });
  }

 private:
  const std::string prefix_;
  mutable std::mutex mu_;
  std::vector<WatchEvent> events_;
};

// Checks `events` (one watch's, in delivery order) against the version
// rule; returns the version of `service`'s last event (0 when none).
int64_t CheckVersionRule(const std::vector<WatchEvent>& events, const std::string& service) {
  VersionRule rule;
  for (const auto& e : events) {
    std::string broken = rule.Check(e);
    EXPECT_EQ(broken, "") << "the version rule (api/CONTRACT.md \"Versions\")";
  }
  return rule.last(service);
}

// The events a watch delivered before SYNCED: its initial state.
std::vector<WatchEvent> SnapshotOf(const std::vector<WatchEvent>& events) {
  auto synced = std::find_if(events.begin(), events.end(), [](const WatchEvent& e) { return e.type == EventType::kSynced; });
  return std::vector<WatchEvent>(events.begin(), synced);
}

// The value of `key` in `map`; "" when there is none.
std::string ValueOf(const StringMap& map, const std::string& key) {
  auto found = map.find(key);
  return found == map.end() ? "" : found->second;
}

// The instance zone/id of `service`, copied; a failure and an empty
// instance when it is not there, so that a plugin which lost it fails the
// case instead of crashing the kit.
Instance InstanceIn(const Service& service, const std::string& zone, const std::string& id) {
  const Instance* found = service.Find(zone, id);
  if (found != nullptr) return *found;
  ADD_FAILURE() << "service " << service.service_name << " has no instance " << zone << "/" << id;
  return Instance();
}

RegisterOptions Refresh() {
  RegisterOptions refresh;
  refresh.refresh = true;
  return refresh;
}

// An instance whose stored JSON (the instance as given) is exactly
// `stored_bytes` long, made so by a metadata value.
Instance InstanceOfStoredSize(const std::string& service, const std::string& id, size_t stored_bytes) {
  Instance in = MakeInstance(service, id);
  in.metadata["blob"] = "";
  in.metadata["blob"] = std::string(stored_bytes - format::EncodeInstance(in).size(), 'x');
  return in;
}

class Conformance : public ::testing::TestWithParam<ConformanceTarget> {
 protected:
  void SetUp() override {
    Status s = host::OpenRegistry(GetParam().config, &registry_);
    ASSERT_TRUE(s.ok()) << s.ToString();
    static std::mt19937_64 rng(std::random_device{}());
    char prefix[32];
    std::snprintf(prefix, sizeof(prefix), "conf-%08llx-", static_cast<unsigned long long>(rng() & 0xffffffffu));
    prefix_ = prefix;
  }

  // A service name unique to this test run.
  std::string Svc(const std::string& name) const { return prefix_ + name; }

  Service MustGet(const std::string& service) {
    Service out;
    Status s = registry_.GetService(service, &out);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  bool Present(const std::string& service, const std::string& zone, const std::string& id) {
    Service out;
    if (!registry_.GetService(service, &out).ok()) return false;
    auto z = out.instances.find(zone);
    return z != out.instances.end() && z->second.count(id) != 0;
  }

  std::unique_ptr<Watch> StartWatch(EventLog* log) { return StartWatchOn(registry_, log); }

  static std::unique_ptr<Watch> StartWatchOn(const Registry& registry, EventLog* log) {
    std::unique_ptr<Watch> w;
    Status s = registry.StartWatch([log](const WatchEvent& e) { log->Add(e); }, &w);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return w;
  }

  // A second backend from the same config: the same registry.
  Registry OpenOther() {
    Registry other;
    Status s = host::OpenRegistry(GetParam().config, &other);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return other;
  }

  Registry registry_;
  std::string prefix_;
};

TEST_P(Conformance, RegisterGetDeregister) {
  std::string svc = Svc("basic");
  ASSERT_TRUE(registry_.Register(MakeInstance(svc, "a1", "z1")).ok());
  ASSERT_TRUE(registry_.Register(MakeInstance(svc, "b1", "z2")).ok());

  Service s = MustGet(svc);
  EXPECT_EQ(s.service_name, svc);
  ASSERT_EQ(s.instance_count(), 2u);
  const Instance a1 = InstanceIn(s, "z1", "a1");
  EXPECT_EQ(a1.hostname, "host-a1");
  EXPECT_EQ(a1.env, "test");
  EXPECT_EQ(a1.addrs.at("rpc"), "10.0.0.1:9000");
  EXPECT_EQ(a1.metadata.at("color"), "blue");
  EXPECT_EQ(a1.reg_time, 1700000000);
  EXPECT_GT(a1.version, 0);
  EXPECT_EQ(s.instances["z2"].count("b1"), 1u);
  EXPECT_GE(s.version, std::max(a1.version, InstanceIn(s, "z2", "b1").version));

  ASSERT_TRUE(registry_.Deregister(svc, "a1").ok());
  EXPECT_FALSE(Present(svc, "z1", "a1"));
  EXPECT_TRUE(Present(svc, "z2", "b1"));
  EXPECT_TRUE(registry_.Deregister(svc, "a1").ok()) << "deregistering an absent instance is not an error";
  EXPECT_TRUE(registry_.Deregister(Svc("never-existed"), "x").ok());
}

TEST_P(Conformance, UnknownServiceIsNotFound) {
  Service s;
  Status st = registry_.GetService(Svc("missing"), &s);
  EXPECT_EQ(st.code(), KREG_NOT_FOUND) << st.ToString();
}

TEST_P(Conformance, KeepaliveRenewsWithoutWriting) {
  std::string svc = Svc("keepalive");
  Instance in = MakeInstance(svc, "k1");
  ASSERT_TRUE(registry_.Register(in).ok());
  int64_t before = MustGet(svc).version;
  in.metadata["color"] = "red";  // ignored: a keepalive writes nothing
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(registry_.Register(in).ok());
  Service after = MustGet(svc);
  EXPECT_EQ(after.version, before);
  EXPECT_EQ(InstanceIn(after, "z1", "k1").metadata.at("color"), "blue");
}

TEST_P(Conformance, RefreshRewritesData) {
  std::string svc = Svc("refresh");
  Instance in = MakeInstance(svc, "r1");
  ASSERT_TRUE(registry_.Register(in).ok());
  Service before = MustGet(svc);
  in.metadata["color"] = "red";
  RegisterOptions refresh;
  refresh.refresh = true;
  ASSERT_TRUE(registry_.Register(in, refresh).ok());
  Service after = MustGet(svc);
  const Instance r1 = InstanceIn(after, "z1", "r1");
  EXPECT_EQ(r1.metadata.at("color"), "red");
  EXPECT_GT(after.version, before.version);
  EXPECT_GT(r1.version, InstanceIn(before, "z1", "r1").version);
  EXPECT_GT(r1.data_version, InstanceIn(before, "z1", "r1").data_version);
}

TEST_P(Conformance, UnrenewedInstanceExpiresAfterTtl) {
  std::string svc = Svc("ttl");
  RegisterOptions opts;
  opts.ttl = milliseconds(1000);
  ASSERT_TRUE(registry_.Register(MakeInstance(svc, "short"), opts).ok());
  ASSERT_TRUE(registry_.Register(MakeInstance(svc, "long")).ok());
  EXPECT_TRUE(Present(svc, "z1", "short"));
  EXPECT_TRUE(WaitFor([&] { return !Present(svc, "z1", "short"); },
                      opts.ttl + GetParam().expiry_grace + milliseconds(2000)));
  EXPECT_TRUE(Present(svc, "z1", "long"));
}

TEST_P(Conformance, RenewedInstanceOutlivesTtl) {
  std::string svc = Svc("renew");
  RegisterOptions opts;
  opts.ttl = milliseconds(1000);
  Instance in = MakeInstance(svc, "kept");
  ASSERT_TRUE(registry_.Register(in, opts).ok());
  auto end = std::chrono::steady_clock::now() + milliseconds(3000);
  while (std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(milliseconds(250));
    ASSERT_TRUE(registry_.Register(in, opts).ok());
    ASSERT_TRUE(Present(svc, "z1", "kept"));
  }
}

TEST_P(Conformance, ListServicesShowsEveryService) {
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j <= i; ++j) {
      ASSERT_TRUE(registry_.Register(MakeInstance(Svc("list" + std::to_string(i)), "i" + std::to_string(j))).ok());
    }
  }
  std::vector<Service> services;
  ASSERT_TRUE(registry_.ListServices(&services).ok());
  std::map<std::string, size_t> counts;
  for (const auto& s : services) {
    if (s.service_name.rfind(prefix_, 0) == 0) counts[s.service_name] = s.instance_count();
  }
  EXPECT_EQ(counts.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(counts[Svc("list" + std::to_string(i))], size_t(i + 1));
}

TEST_P(Conformance, PropertyIsMergedOnRead) {
  std::string svc = Svc("prop");
  ASSERT_TRUE(registry_.Register(MakeInstance(svc, "p1", "sh001")).ok());
  ASSERT_TRUE(registry_.Register(MakeInstance(svc, "p2", "sh002")).ok());
  Property p;
  p.service_name = svc;
  p.zone_weights["sh001"].src = "sh001";
  p.zone_weights["sh001"].dst = {{"sh001", 70}, {"sh002", 30}};
  p.attrs["p1"][kMetadataOnline] = "N";
  p.attrs["p1"]["color"] = "green";
  ASSERT_TRUE(registry_.SetProperty(p).ok());

  Service s = MustGet(svc);
  const Instance p1 = InstanceIn(s, "sh001", "p1");
  EXPECT_FALSE(p1.online());
  EXPECT_EQ(p1.metadata.at("color"), "green") << "the property overrides the instance's own metadata";
  EXPECT_TRUE(InstanceIn(s, "sh002", "p2").online());
  ASSERT_EQ(s.metadata.count(kMetadataZoneWeight), 1u);
  const std::string& weights = s.metadata[kMetadataZoneWeight];
  EXPECT_NE(weights.find("\"sh002\":30"), std::string::npos) << weights;
}

TEST_P(Conformance, WatchDeliversSnapshotThenSynced) {
  std::string svc = Svc("snap");
  ASSERT_TRUE(registry_.Register(MakeInstance(svc, "s1")).ok());
  ASSERT_TRUE(registry_.Register(MakeInstance(svc, "s2", "z2")).ok());
  Property p;
  p.service_name = svc;
  p.attrs["s1"]["k"] = "v";
  ASSERT_TRUE(registry_.SetProperty(p).ok());

  EventLog log(prefix_);
  auto watch = StartWatch(&log);
  ASSERT_TRUE(WaitFor([&] { return log.synced(); }, milliseconds(10000)));
  std::vector<WatchEvent> events = log.events();
  size_t synced_at = 0;
  while (events[synced_at].type != EventType::kSynced) ++synced_at;
  std::vector<WatchEvent> before(events.begin(), events.begin() + synced_at);
  ASSERT_EQ(before.size(), 3u);
  for (const auto& e : before) EXPECT_EQ(e.type, EventType::kCreate);
  EXPECT_TRUE(log.Has(EventType::kCreate, EventInfo::kInstance, svc, "s1"));
  EXPECT_TRUE(log.Has(EventType::kCreate, EventInfo::kInstance, svc, "s2"));
  EXPECT_TRUE(log.Has(EventType::kCreate, EventInfo::kProperty, svc, ""));
}

TEST_P(Conformance, WatchReportsLiveChangesWithIncreasingVersions) {
  std::string svc = Svc("live");
  EventLog log(prefix_);
  auto watch = StartWatch(&log);
  ASSERT_TRUE(WaitFor([&] { return log.synced(); }, milliseconds(10000)));

  Instance in = MakeInstance(svc, "l1");
  ASSERT_TRUE(registry_.Register(in).ok());
  ASSERT_TRUE(WaitFor([&] { return log.Has(EventType::kCreate, EventInfo::kInstance, svc, "l1"); },
                      milliseconds(10000)));
  in.metadata["color"] = "red";
  RegisterOptions refresh;
  refresh.refresh = true;
  ASSERT_TRUE(registry_.Register(in, refresh).ok());
  ASSERT_TRUE(WaitFor([&] { return log.Has(EventType::kModify, EventInfo::kInstance, svc, "l1"); },
                      milliseconds(10000)));
  Property p;
  p.service_name = svc;
  p.attrs["l1"]["k"] = "v";
  ASSERT_TRUE(registry_.SetProperty(p).ok());
  ASSERT_TRUE(WaitFor([&] { return log.Has(EventType::kCreate, EventInfo::kProperty, svc, ""); },
                      milliseconds(10000)));
  ASSERT_TRUE(registry_.Register(MakeInstance(svc, "l2")).ok());
  ASSERT_TRUE(WaitFor([&] { return log.Has(EventType::kCreate, EventInfo::kInstance, svc, "l2"); },
                      milliseconds(10000)));
  ASSERT_TRUE(registry_.Deregister(svc, "l1").ok());
  ASSERT_TRUE(WaitFor([&] { return log.Has(EventType::kDelete, EventInfo::kInstance, svc, "l1"); },
                      milliseconds(10000)));
  // A keepalive is not an event.
  ASSERT_TRUE(registry_.Register(MakeInstance(svc, "l2")).ok());

  Service s = MustGet(svc);
  std::vector<WatchEvent> events = log.events();
  int64_t last = CheckVersionRule(events, svc);
  int modifies = 0;
  int64_t previous = 0;
  for (const auto& e : events) {
    if (e.service_name != svc) continue;
    // Each change here was awaited before the next: each is a state of its own.
    EXPECT_GT(e.version, previous) << "each awaited change is a new state with a higher version";
    previous = e.version;
    if (e.type == EventType::kModify) ++modifies;
    if (e.type == EventType::kDelete) {
      EXPECT_EQ(e.instance.service_name, svc);
      EXPECT_EQ(e.instance.id, "l1");
    }
    if (e.type == EventType::kModify) {
      EXPECT_EQ(e.instance.metadata.at("color"), "red");
    }
  }
  EXPECT_EQ(modifies, 1);
  EXPECT_EQ(s.version, last) << "the service's version equals its latest event's version";
}

TEST_P(Conformance, WatchSeesChangesFromAnotherRegistry) {
  Registry other;
  ASSERT_TRUE(host::OpenRegistry(GetParam().config, &other).ok());
  std::string svc = Svc("other");
  EventLog log(prefix_);
  auto watch = StartWatch(&log);
  ASSERT_TRUE(WaitFor([&] { return log.synced(); }, milliseconds(10000)));
  ASSERT_TRUE(other.Register(MakeInstance(svc, "o1")).ok());
  EXPECT_TRUE(WaitFor([&] { return log.Has(EventType::kCreate, EventInfo::kInstance, svc, "o1"); },
                      milliseconds(10000)));
  ASSERT_TRUE(other.Deregister(svc, "o1").ok());
  EXPECT_TRUE(WaitFor([&] { return log.Has(EventType::kDelete, EventInfo::kInstance, svc, "o1"); },
                      milliseconds(10000)));
}

TEST_P(Conformance, ExpiryIsReportedAsDelete) {
  std::string svc = Svc("expiry-watch");
  EventLog log(prefix_);
  auto watch = StartWatch(&log);
  ASSERT_TRUE(WaitFor([&] { return log.synced(); }, milliseconds(10000)));
  RegisterOptions opts;
  opts.ttl = milliseconds(800);
  ASSERT_TRUE(registry_.Register(MakeInstance(svc, "e1"), opts).ok());
  EXPECT_TRUE(WaitFor([&] { return log.Has(EventType::kDelete, EventInfo::kInstance, svc, "e1"); },
                      opts.ttl + GetParam().expiry_grace + milliseconds(2000)));
}

TEST_P(Conformance, InvalidNamesAreRejectedBeforeTheBackend) {
  const std::string bad_names[] = {"", ".", "..", "has space", "slash/inside", "ünicode", std::string(256, 'a')};
  for (const auto& bad : bad_names) {
    Status s = registry_.Register(MakeInstance(bad, "ok-id"));
    EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT) << "service name \"" << bad << "\"";
    EXPECT_NE(s.message().find("service name"), std::string::npos) << s.message();
    s = registry_.Register(MakeInstance(Svc("names"), bad));
    EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT) << "id \"" << bad << "\"";
    EXPECT_NE(s.message().find("instance id"), std::string::npos) << s.message();
  }
  EXPECT_TRUE(registry_.Register(MakeInstance(Svc("names"), std::string(255, 'b'))).ok());
  EXPECT_TRUE(registry_.Register(MakeInstance(Svc("names"), "A-z_0.9:x@y")).ok());
  EXPECT_EQ(MustGet(Svc("names")).instance_count(), 2u);
}

TEST_P(Conformance, OversizedInstanceIsRejectedAndNotStored) {
  std::string svc = Svc("big");
  ASSERT_TRUE(registry_.Register(MakeInstance(svc, "small")).ok());
  Instance big = MakeInstance(svc, "huge");
  big.metadata["blob"] = std::string(2 << 20, 'x');
  Status s = registry_.Register(big);
  EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT) << s.ToString();
  EXPECT_NE(s.message().find("huge"), std::string::npos) << s.message();
  EXPECT_FALSE(Present(svc, "z1", "huge"));
  EXPECT_TRUE(Present(svc, "z1", "small"));
}

TEST_P(Conformance, WatchesAndGetAgreeOnVersions) {
  // A history with a delete and a property change, so that the service's
  // version is not simply that of its newest instance.
  std::string svc = Svc("agree");
  EventLog live(prefix_);
  auto live_watch = StartWatch(&live);
  ASSERT_TRUE(WaitFor([&] { return live.synced(); }, milliseconds(10000)));
  for (const char* id : {"g1", "g2", "g3"}) ASSERT_TRUE(registry_.Register(MakeInstance(svc, id)).ok());
  Property p;
  p.service_name = svc;
  p.attrs["g1"]["k"] = "v";
  ASSERT_TRUE(registry_.SetProperty(p).ok());
  // Seen before it goes: a watch may coalesce a create and delete into nothing.
  ASSERT_TRUE(WaitFor([&] { return live.Has(EventType::kCreate, EventInfo::kProperty, svc, "") &&
                                   live.Has(EventType::kCreate, EventInfo::kInstance, svc, "g2"); },
                      milliseconds(10000)));
  ASSERT_TRUE(registry_.Deregister(svc, "g2").ok());
  ASSERT_TRUE(WaitFor([&] { return live.Has(EventType::kDelete, EventInfo::kInstance, svc, "g2"); },
                      milliseconds(10000)));
  // What a backend's watch has reported, its reads report too
  // (CONTRACT.md "Versions").
  Service after_delete = MustGet(svc);
  EXPECT_EQ(after_delete.instances["z1"].count("g2"), 0u) << "read after its watch reported the delete";
  const int64_t get_version = after_delete.version;

  // A watch started now delivers the same state as its snapshot.
  Registry other;
  ASSERT_TRUE(host::OpenRegistry(GetParam().config, &other).ok());
  EventLog late(prefix_);
  std::unique_ptr<Watch> late_watch;
  ASSERT_TRUE(other.StartWatch([&](const WatchEvent& e) { late.Add(e); }, &late_watch).ok());
  ASSERT_TRUE(WaitFor([&] { return late.synced(); }, milliseconds(10000)));

  EXPECT_EQ(CheckVersionRule(live.events(), svc), get_version)
      << "after the last event with version V the service's version is V";
  EXPECT_EQ(CheckVersionRule(late.events(), svc), get_version)
      << "a snapshot's events end at the service's version";
  Service from_other;
  ASSERT_TRUE(other.GetService(svc, &from_other).ok());
  EXPECT_EQ(from_other.version, get_version) << "every registry reports one version for one state";
}

TEST_P(Conformance, InstancesGoingTogetherFollowTheVersionRule) {
  // Another process's instances all end at once: its session closes (a
  // lease-per-session backend deletes them in one transaction) or their
  // leases lapse together.
  std::string svc = Svc("together");
  EventLog log(prefix_);
  auto watch = StartWatch(&log);
  ASSERT_TRUE(WaitFor([&] { return log.synced(); }, milliseconds(10000)));
  ASSERT_TRUE(registry_.Register(MakeInstance(svc, "stays")).ok());
  constexpr int kGoing = 20;
  {
    Registry other;
    ASSERT_TRUE(host::OpenRegistry(GetParam().config, &other).ok());
    RegisterOptions opts;
    opts.ttl = milliseconds(1000);
    for (int i = 0; i < kGoing; ++i) ASSERT_TRUE(other.Register(MakeInstance(svc, "g" + std::to_string(i)), opts).ok());
    ASSERT_TRUE(WaitFor([&] { return log.Count(EventType::kCreate) >= kGoing + 1; }, milliseconds(10000)));
  }
  ASSERT_TRUE(WaitFor([&] { return log.Count(EventType::kDelete) >= kGoing; },
                      milliseconds(1000) + GetParam().expiry_grace + milliseconds(5000)));
  EXPECT_EQ(MustGet(svc).instance_count(), 1u) << "read after its watch reported the deletes";
  EXPECT_EQ(CheckVersionRule(log.events(), svc), MustGet(svc).version)
      << "after the last event with version V the service's version is V";
}

TEST_P(Conformance, CancelWhileEventsFlowStopsCallbacks) {
  std::string svc = Svc("cancel");
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop.load() && i < 400; ++i) {
      (void)registry_.Register(MakeInstance(svc, "c" + std::to_string(i)));
    }
  });
  std::atomic<int> calls{0};
  std::unique_ptr<Watch> watch;
  ASSERT_TRUE(registry_.StartWatch([&](const WatchEvent&) { calls.fetch_add(1); }, &watch).ok());
  ASSERT_TRUE(WaitFor([&] { return calls.load() > 3; }, milliseconds(10000)));
  watch->Cancel();
  int after_cancel = calls.load();
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(calls.load(), after_cancel) << "no callback may run after Cancel returns";
  stop.store(true);
  writer.join();
}

TEST_P(Conformance, CancelFromInsideTheCallback) {
  std::string svc = Svc("self-cancel");
  ASSERT_TRUE(registry_.Register(MakeInstance(svc, "x1")).ok());
  ASSERT_TRUE(registry_.Register(MakeInstance(svc, "x2")).ok());
  std::atomic<int> calls{0};
  std::unique_ptr<Watch> watch;
  Watch* raw = nullptr;
  std::atomic<bool> started{false};
  ASSERT_TRUE(registry_
                  .StartWatch(
                      [&](const WatchEvent&) {
                        while (!started.load()) std::this_thread::yield();
                        calls.fetch_add(1);
                        raw->Cancel();
                      },
                      &watch)
                  .ok());
  raw = watch.get();
  started.store(true);
  ASSERT_TRUE(WaitFor([&] { return calls.load() >= 1; }, milliseconds(10000)));
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(calls.load(), 1);
}

TEST_P(Conformance, ConcurrentRegistersAllLand) {
  std::string svc = Svc("threads");
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        if (!registry_.Register(MakeInstance(svc, "t" + std::to_string(t) + "-" + std::to_string(i))).ok()) {
          failures.fetch_add(1);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(MustGet(svc).instance_count(), 160u);
}

// What the `done` calls of RegisterAsync saw: shared with each pending
// `done`, so a late or second call is counted, not a crash.
struct AsyncOutcomes {
  explicit AsyncOutcomes(size_t n) : calls(n, 0), status(n) {}
  size_t Answered() {
    std::lock_guard<std::mutex> lock(mu);
    return static_cast<size_t>(std::count_if(calls.begin(), calls.end(), [](int c) { return c > 0; }));
  }
  std::mutex mu;
  std::vector<int> calls;
  std::vector<Status> status;
};

// A `done` recording into outcomes[i], then running `then` (when set).
Registry::RegisterDone Record(std::shared_ptr<AsyncOutcomes> outcomes, size_t i,
                              std::function<void()> then = nullptr) {
  return [outcomes, i, then](const Status& s) {
    {
      std::lock_guard<std::mutex> lock(outcomes->mu);
      ++outcomes->calls[i];
      outcomes->status[i] = s;
    }
    if (then) then();
  };
}

// RegisterAsync, whether the plugin has register_instance_async or the host
// falls back to Register: every `done` runs exactly once with Register's
// answer, after done(OK) the instance reads as after Register, and a
// register made from inside a `done` completes too.
TEST_P(Conformance, AsyncRegistersAnswerOnceAndReadAsRegistered) {
  const std::string svc = Svc("async");
  constexpr size_t kInFlight = 100;
  const size_t chained = kInFlight;  // registered from inside the first done
  const size_t keepalive = kInFlight + 1, refresh = kInFlight + 2, bad_id = kInFlight + 3, huge = kInFlight + 4;
  auto outcomes = std::make_shared<AsyncOutcomes>(kInFlight + 5);
  const Registry* registry = &registry_;
  for (size_t i = 0; i < kInFlight; ++i) {
    std::function<void()> then;
    if (i == 0) {
      then = [registry, outcomes, svc, chained] {
        registry->RegisterAsync(MakeInstance(svc, "chained"), RegisterOptions(), Record(outcomes, chained));
      };
    }
    registry_.RegisterAsync(MakeInstance(svc, "a" + std::to_string(i)), RegisterOptions(), Record(outcomes, i, then));
  }
  ASSERT_TRUE(WaitFor([&] { return outcomes->Answered() == kInFlight + 1; }, milliseconds(30000)))
      << outcomes->Answered() << " of " << kInFlight + 1 << " registers answered";

  Instance changed = MakeInstance(svc, "a1");
  changed.metadata["color"] = "red";
  const int64_t before = MustGet(svc).version;
  registry_.RegisterAsync(changed, RegisterOptions(), Record(outcomes, keepalive));
  ASSERT_TRUE(WaitFor([&] { return outcomes->Answered() == kInFlight + 2; }, milliseconds(10000)));
  Service after_keepalive = MustGet(svc);
  EXPECT_EQ(after_keepalive.version, before) << "a keepalive writes nothing";
  registry_.RegisterAsync(changed, Refresh(), Record(outcomes, refresh));
  Instance bad = MakeInstance(svc, "slash/inside");
  registry_.RegisterAsync(bad, RegisterOptions(), Record(outcomes, bad_id));
  Instance big = MakeInstance(svc, "huge");
  big.metadata["blob"] = std::string(2 << 20, 'x');
  registry_.RegisterAsync(big, RegisterOptions(), Record(outcomes, huge));
  ASSERT_TRUE(WaitFor([&] { return outcomes->Answered() == kInFlight + 5; }, milliseconds(10000)));
  std::this_thread::sleep_for(milliseconds(200));  // room for a second call

  std::lock_guard<std::mutex> lock(outcomes->mu);
  for (size_t i = 0; i < outcomes->calls.size(); ++i) EXPECT_EQ(outcomes->calls[i], 1) << "done of register " << i;
  for (size_t i = 0; i <= refresh; ++i) {
    EXPECT_TRUE(outcomes->status[i].ok()) << "register " << i << ": " << outcomes->status[i].ToString();
  }
  EXPECT_EQ(outcomes->status[bad_id].code(), KREG_INVALID_ARGUMENT) << outcomes->status[bad_id].ToString();
  EXPECT_NE(outcomes->status[bad_id].message().find("instance id"), std::string::npos);
  EXPECT_EQ(outcomes->status[huge].code(), KREG_INVALID_ARGUMENT) << outcomes->status[huge].ToString();

  Service s = MustGet(svc);
  EXPECT_EQ(s.instance_count(), kInFlight + 1) << "the 100 registers and the chained one; nothing of the refused";
  EXPECT_EQ(InstanceIn(s, "z1", "chained").hostname, "host-chained");
  EXPECT_EQ(InstanceIn(s, "z1", "a1").metadata.at("color"), "red") << "the refresh rewrote it";
  EXPECT_GT(s.version, before);
}

TEST_P(Conformance, SnapshotVersionsNeverDecreaseAndEndAtTheServiceVersion) {
  // Registered so that the newest instance sorts first and the last change
  // is not a register: a snapshot stamped with each instance's own version,
  // in key order, goes down.
  std::string first = Svc("snap-order-1");
  std::string second = Svc("snap-order-2");
  for (const char* id : {"c", "b", "a"}) ASSERT_TRUE(registry_.Register(MakeInstance(first, id)).ok());
  ASSERT_TRUE(registry_.Register(MakeInstance(first, "b"), Refresh()).ok());
  Property p;
  p.service_name = first;
  p.attrs["a"]["k"] = "v";
  ASSERT_TRUE(registry_.SetProperty(p).ok());
  for (const char* id : {"z", "y", "x"}) ASSERT_TRUE(registry_.Register(MakeInstance(second, id)).ok());
  ASSERT_TRUE(registry_.Deregister(second, "y").ok());

  EventLog log(prefix_);
  auto watch = StartWatch(&log);
  ASSERT_TRUE(WaitFor([&] { return log.synced(); }, milliseconds(10000)));
  std::vector<WatchEvent> snapshot = SnapshotOf(log.events());
  EXPECT_EQ(snapshot.size(), 6u);
  VersionRule rule;
  for (const auto& e : snapshot) {
    EXPECT_EQ(rule.Check(e), "") << "per service, a snapshot's versions never decrease";
  }
  for (const std::string& svc : {first, second}) {
    const int64_t version = MustGet(svc).version;
    EXPECT_EQ(rule.last(svc), version) << "after its snapshot a service is at get_service's version";
    for (const auto& e : snapshot) {
      if (e.service_name != svc) continue;
      EXPECT_EQ(e.version, version) << "a snapshot's event of " << svc << " carries the service's version";
    }
  }
}

TEST_P(Conformance, DataVersionGrowsOnEveryRefresh) {
  std::string svc = Svc("data-version");
  EventLog log(prefix_);
  auto watch = StartWatch(&log);
  ASSERT_TRUE(WaitFor([&] { return log.synced(); }, milliseconds(10000)));
  Instance in = MakeInstance(svc, "d1");
  ASSERT_TRUE(registry_.Register(in).ok());
  // Where it starts is the backend's (file: 1, ZooKeeper: Stat.version 0).
  int64_t previous = InstanceIn(MustGet(svc), "z1", "d1").data_version;
  for (int i = 0; i < 3; ++i) {
    in.metadata["round"] = std::to_string(i);
    ASSERT_TRUE(registry_.Register(in, Refresh()).ok());
    int64_t now = InstanceIn(MustGet(svc), "z1", "d1").data_version;
    EXPECT_GT(now, previous) << "refresh " << i + 1 << " rewrote the instance";
    previous = now;
    ASSERT_TRUE(registry_.Register(in).ok());
    EXPECT_EQ(InstanceIn(MustGet(svc), "z1", "d1").data_version, previous) << "a keepalive writes nothing";
  }
  Property p;
  p.service_name = svc;
  for (int i = 0; i < 3; ++i) {
    p.attrs["d1"]["round"] = std::to_string(i);
    ASSERT_TRUE(registry_.SetProperty(p).ok());
  }
  // A watch may coalesce the rewrites of one key: awaited is the last one.
  auto saw_last_writes = [&] {
    bool instance = false;
    bool property = false;
    for (const auto& e : log.events()) {
      if (e.service_name != svc) continue;
      if (e.info == EventInfo::kInstance) instance = instance || ValueOf(e.instance.metadata, "round") == "2";
      auto attrs = e.property.attrs.find("d1");
      if (attrs != e.property.attrs.end()) property = property || ValueOf(attrs->second, "round") == "2";
    }
    return instance && property;
  };
  ASSERT_TRUE(WaitFor(saw_last_writes, milliseconds(10000)));
  int64_t instance_data = -1;
  int64_t property_data = -1;
  for (const auto& e : log.events()) {
    if (e.service_name != svc) continue;
    int64_t* last = e.info == EventInfo::kInstance ? &instance_data : &property_data;
    EXPECT_GT(e.data_version, *last) << EventTypeName(e.type) << " " << EventInfoName(e.info)
                                     << ": each event of a write carries a higher data_version";
    *last = e.data_version;
  }
  EXPECT_EQ(instance_data, previous) << "the last event carries the data_version reads report";
}

TEST_P(Conformance, ExpiryChangesReadsAndTheVersionTogether) {
  std::string svc = Svc("expiry-version");
  RegisterOptions opts;
  // Long enough that a loaded machine still reads it before it lapses.
  opts.ttl = milliseconds(3000);
  ASSERT_TRUE(registry_.Register(MakeInstance(svc, "long")).ok());
  ASSERT_TRUE(registry_.Register(MakeInstance(svc, "short"), opts).ok());
  std::shared_ptr<const Service> cached;  // read through get_service_since
  ASSERT_TRUE(registry_.GetService(svc, &cached).ok());
  ASSERT_EQ(cached->instances.at("z1").count("short"), 1u);
  int64_t registered = cached->version;  // the last version read with "short" listed

  bool gone = false;
  auto end = std::chrono::steady_clock::now() + opts.ttl + GetParam().expiry_grace + milliseconds(2000);
  while (!gone && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(milliseconds(20));
    Service s = MustGet(svc);
    gone = s.instances["z1"].count("short") == 0;
    if (gone) {
      EXPECT_GT(s.version, registered) << "reads stopped returning the expired instance at the old version";
    } else {
      registered = s.version;
    }
  }
  ASSERT_TRUE(gone) << "the unrenewed instance outlived its TTL and the grace";
  ASSERT_TRUE(registry_.GetService(svc, &cached).ok());
  EXPECT_EQ(cached->instances.at("z1").count("short"), 0u) << "get_service_since answered unchanged after the expiry";
  EXPECT_GT(cached->version, registered);
  EXPECT_EQ(cached->instances.at("z1").count("long"), 1u);
}

TEST_P(Conformance, TwoRegistriesFromOneConfigShareOneStore) {
  std::string svc = Svc("shared");
  Registry other = OpenOther();
  EventLog log(prefix_);
  auto watch = StartWatch(&log);
  ASSERT_TRUE(WaitFor([&] { return log.synced(); }, milliseconds(10000)));

  ASSERT_TRUE(other.Register(MakeInstance(svc, "o1")).ok());
  Property p;
  p.service_name = svc;
  p.attrs["o1"]["color"] = "green";
  ASSERT_TRUE(other.SetProperty(p).ok());
  // A read cache of the reader's own (ZooKeeper's, etcd's mirror) may see
  // the instance a moment before the property written after it.
  EXPECT_TRUE(WaitFor([&] { return Present(svc, "z1", "o1") &&
                                   InstanceIn(MustGet(svc), "z1", "o1").metadata.at("color") == "green"; },
                      milliseconds(5000)))
      << "what one backend wrote, another from the same config reads, the property merged in";
  std::vector<Service> services;
  ASSERT_TRUE(registry_.ListServices(&services).ok());
  EXPECT_EQ(std::count_if(services.begin(), services.end(), [&](const Service& s) { return s.service_name == svc; }), 1);
  EXPECT_TRUE(WaitFor([&] { return log.Has(EventType::kCreate, EventInfo::kInstance, svc, "o1") &&
                                   log.Has(EventType::kCreate, EventInfo::kProperty, svc, ""); },
                      milliseconds(10000)));

  // And back: the first writes, the other reads. o1 is deregistered by its
  // holder: a held instance someone else deletes comes back (Liveness).
  ASSERT_TRUE(registry_.Register(MakeInstance(svc, "r1")).ok());
  ASSERT_TRUE(other.Deregister(svc, "o1").ok());
  EXPECT_TRUE(WaitFor([&] {
    Service s;
    return other.GetService(svc, &s).ok() && s.instances["z1"].count("r1") == 1 && s.instances["z1"].count("o1") == 0;
  }, milliseconds(5000)));
  // Each backend's read cache (ZooKeeper's, etcd's) learns of the other's change by
  // a notification of its own, so they agree once both have seen it.
  int64_t other_version = 0;
  int64_t own_version = 0;
  EXPECT_TRUE(WaitFor([&] {
    Service from_other;
    if (!other.GetService(svc, &from_other).ok()) return false;
    other_version = from_other.version;
    own_version = MustGet(svc).version;
    return other_version == own_version;
  }, milliseconds(5000))) << "one state, one version, whichever backend reads it: " << other_version << " vs "
                          << own_version;
}

TEST_P(Conformance, ConcurrentBatchIsAllVisibleToASecondRegistry) {
  std::string svc = Svc("batch");
  Registry other = OpenOther();
  EventLog log(prefix_);
  auto watch = StartWatchOn(other, &log);
  ASSERT_TRUE(WaitFor([&] { return log.synced(); }, milliseconds(10000)));
  constexpr int kThreads = 8;
  constexpr int kEach = 20;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        if (!registry_.Register(MakeInstance(svc, "t" + std::to_string(t) + "-" + std::to_string(i))).ok()) {
          failures.fetch_add(1);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_TRUE(WaitFor([&] {
    Service s;
    return other.GetService(svc, &s).ok() && s.instance_count() == size_t(kThreads * kEach);
  }, milliseconds(5000))) << "the second registry reads every instance of the batch";
  EXPECT_TRUE(WaitFor([&] { return log.Count(EventType::kCreate) == size_t(kThreads * kEach); }, milliseconds(10000)))
      << "the second registry's watch saw " << log.Count(EventType::kCreate) << " creates";
  Service s;
  ASSERT_TRUE(other.GetService(svc, &s).ok());
  EXPECT_EQ(CheckVersionRule(log.events(), svc), s.version);
}

TEST_P(Conformance, InstanceOverTheSizeLimitIsRefusedAndNothingIsStored) {
  std::string svc = Svc("limit-over");
  Instance over = InstanceOfStoredSize(svc, "over-the-limit", kMaxStoredBytes + 1);
  Status s = registry_.Register(over);
  EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT) << s.ToString();
  EXPECT_NE(s.message().find("over-the-limit"), std::string::npos) << "the error names the instance: " << s.message();
  Service none;
  EXPECT_EQ(registry_.GetService(svc, &none).code(), KREG_NOT_FOUND) << "a refused register stores nothing";

  // Nor does a refused refresh: the stored instance stays as it was.
  ASSERT_TRUE(registry_.Register(MakeInstance(svc, "kept")).ok());
  const Service before = MustGet(svc);
  s = registry_.Register(InstanceOfStoredSize(svc, "kept", kMaxStoredBytes + 1), Refresh());
  EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT) << s.ToString();
  Service after = MustGet(svc);
  EXPECT_EQ(after.version, before.version);
  EXPECT_EQ(InstanceIn(after, "z1", "kept").metadata.count("blob"), 0u);

  Property p;
  p.service_name = svc;
  p.attrs["kept"]["blob"] = std::string(kMaxStoredBytes, 'x');
  s = registry_.SetProperty(p);
  EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT) << s.ToString();
  EXPECT_NE(s.message().find(svc), std::string::npos) << "the error names the property's service: " << s.message();
  EXPECT_EQ(MustGet(svc).version, before.version);
}

TEST_P(Conformance, InstanceAtTheSizeLimitIsStored) {
  std::string svc = Svc("limit-at");
  Instance at = InstanceOfStoredSize(svc, "at-the-limit", kMaxStoredBytes);
  Status s = registry_.Register(at);
  ASSERT_TRUE(s.ok()) << s.ToString();
  Service read = MustGet(svc);
  EXPECT_EQ(InstanceIn(read, "z1", "at-the-limit").metadata.at("blob"), at.metadata["blob"]);
  // A record this size slows every later write of a file backend.
  EXPECT_TRUE(registry_.Deregister(svc, "at-the-limit").ok());
}

TEST_P(Conformance, ZoneWeightsReadAsJsonUnderTheMetadataKey) {
  std::string svc = Svc("zone-weight");
  ASSERT_TRUE(registry_.Register(MakeInstance(svc, "w1", "sh001")).ok());
  Property p;
  p.service_name = svc;
  p.zone_weights["sh001"].src = "sh001";
  p.zone_weights["sh001"].dst = {{"sh001", 70}, {"sh002", 30}};
  p.zone_weights["sh002"].src = "sh002";
  p.zone_weights["sh002"].dst = {{"sh002", 100}};
  ASSERT_TRUE(registry_.SetProperty(p).ok());
  Service s = MustGet(svc);
  ASSERT_EQ(s.metadata.count(kMetadataZoneWeight), 1u);
  format::json read = format::json::parse(s.metadata[kMetadataZoneWeight], nullptr, /*allow_exceptions=*/false);
  format::json expected = format::json::parse(
      R"({"sh001":{"src":"sh001","dst":{"sh001":70,"sh002":30}},"sh002":{"src":"sh002","dst":{"sh002":100}}})");
  EXPECT_EQ(read, expected) << s.metadata[kMetadataZoneWeight];

  // A property replaces the last one: without zone weights, no key.
  Property attrs_only;
  attrs_only.service_name = svc;
  attrs_only.attrs["w1"]["k"] = "v";
  ASSERT_TRUE(registry_.SetProperty(attrs_only).ok());
  s = MustGet(svc);
  EXPECT_EQ(s.metadata.count(kMetadataZoneWeight), 0u) << s.metadata[kMetadataZoneWeight];
  EXPECT_EQ(InstanceIn(s, "sh001", "w1").metadata.at("k"), "v");
}

TEST_P(Conformance, ZeroTimesAreFilledAndARefreshKeepsRegTime) {
  std::string svc = Svc("times");
  Instance in = MakeInstance(svc, "t1");
  in.reg_time = in.update_time = 0;
  const int64_t before = UnixSeconds();
  ASSERT_TRUE(registry_.Register(in).ok());
  const int64_t after = UnixSeconds();
  Instance first = InstanceIn(MustGet(svc), "z1", "t1");
  EXPECT_GE(first.update_time, before) << "update_time left 0 is the register's time";
  EXPECT_LE(first.update_time, after);
  EXPECT_GE(first.reg_time, before) << "reg_time left 0 is the first register's time";
  EXPECT_LE(first.reg_time, after);
  EXPECT_EQ(MustGet(svc).update_time, first.update_time) << "a service's update_time is its newest instance's";

  // The refresh goes at the turn of the next second, when a backend whose
  // clock lags (std::time reads a coarse clock) still stamps the last one.
  const int64_t refreshed = first.update_time + 1;
  std::this_thread::sleep_until(std::chrono::system_clock::time_point(std::chrono::seconds(refreshed)));
  in.metadata["color"] = "red";
  ASSERT_TRUE(registry_.Register(in, Refresh()).ok());
  Instance second = InstanceIn(MustGet(svc), "z1", "t1");
  EXPECT_EQ(second.reg_time, first.reg_time) << "a refresh keeps reg_time";
  EXPECT_GE(second.update_time, refreshed) << "a refresh's update_time is its own time";
  EXPECT_EQ(second.metadata["color"], "red");
}

TEST_P(Conformance, EmptiedServiceIsStillFoundEmpty) {
  std::string svc = Svc("emptied");
  EventLog log(prefix_);
  auto watch = StartWatch(&log);
  ASSERT_TRUE(WaitFor([&] { return log.synced(); }, milliseconds(10000)));
  ASSERT_TRUE(registry_.Register(MakeInstance(svc, "last")).ok());
  const int64_t registered = MustGet(svc).version;
  ASSERT_TRUE(registry_.Deregister(svc, "last").ok());

  Service s;
  Status st = registry_.GetService(svc, &s);
  ASSERT_TRUE(st.ok()) << "a service whose instances all went is still found: " << st.ToString();
  EXPECT_EQ(s.instance_count(), 0u);
  EXPECT_GT(s.version, registered) << "the delete is a new state";
  std::vector<Service> services;
  ASSERT_TRUE(registry_.ListServices(&services).ok());
  auto listed = std::find_if(services.begin(), services.end(), [&](const Service& l) { return l.service_name == svc; });
  ASSERT_NE(listed, services.end()) << "list_services lists the emptied service";
  EXPECT_EQ(listed->instance_count(), 0u);
  Service from_other;
  st = OpenOther().GetService(svc, &from_other);
  EXPECT_TRUE(st.ok()) << "another backend finds the emptied service too: " << st.ToString();
  EXPECT_EQ(from_other.instance_count(), 0u);
  ASSERT_TRUE(WaitFor([&] { return log.Has(EventType::kDelete, EventInfo::kInstance, svc, "last"); },
                      milliseconds(10000)));
  EXPECT_EQ(CheckVersionRule(log.events(), svc), s.version) << "the emptied service is at its delete's version";
}

// The shared read (get_service_changes: the plugin may answer with what
// changed since the host's snapshot, the host applies it) must serve what a
// whole read serves, after every kind of change.
TEST_P(Conformance, ASharedReadAfterEachChangeEqualsAWholeRead) {
  std::string svc = Svc("delta");
  for (const char* id : {"a", "b", "c"}) ASSERT_TRUE(registry_.Register(MakeInstance(svc, id, "z1")).ok());
  ASSERT_TRUE(registry_.Register(MakeInstance(svc, "d", "z2")).ok());
  std::shared_ptr<const Service> shared;
  int64_t last_version = 0;
  auto expect_same_as_a_whole_read = [&](const std::string& step) {
    ASSERT_TRUE(registry_.GetService(svc, &shared).ok()) << step;
    Service whole = MustGet(svc);
    EXPECT_EQ(format::ServiceToJson(*shared).dump(), format::ServiceToJson(whole).dump()) << step;
    EXPECT_GT(shared->version, last_version) << step;
    last_version = shared->version;
  };
  expect_same_as_a_whole_read("registered");
  Instance b = MakeInstance(svc, "b", "z1");
  b.metadata["color"] = "red";
  ASSERT_TRUE(registry_.Register(b, Refresh()).ok());
  expect_same_as_a_whole_read("b refreshed");
  ASSERT_TRUE(registry_.Deregister(svc, "d").ok());
  expect_same_as_a_whole_read("d, the last of its zone, deregistered");
  ASSERT_TRUE(registry_.Register(MakeInstance(svc, "e", "z3")).ok());
  ASSERT_TRUE(registry_.Deregister(svc, "a").ok());
  expect_same_as_a_whole_read("e registered in a new zone, a deregistered");
  Property p;
  p.service_name = svc;
  p.attrs["c"]["color"] = "green";
  p.zone_weights["z1"].src = "z1";
  p.zone_weights["z1"].dst["z3"] = 10;
  ASSERT_TRUE(registry_.SetProperty(p).ok());
  expect_same_as_a_whole_read("property set");
  EXPECT_EQ(shared->instances.at("z1").at("c")->metadata.at("color"), "green");
  p.attrs.clear();
  p.attrs["e"]["color"] = "white";
  ASSERT_TRUE(registry_.SetProperty(p).ok());
  expect_same_as_a_whole_read("property moved from c to e");
  EXPECT_EQ(shared->instances.at("z1").at("c")->metadata.at("color"), "blue");
}

TEST_P(Conformance, RegisterOfAnInstanceAnotherBackendHoldsWritesNothing) {
  std::string svc = Svc("held-elsewhere");
  ASSERT_TRUE(registry_.Register(MakeInstance(svc, "h1")).ok());
  const Service before = MustGet(svc);
  Registry other = OpenOther();
  Instance again = MakeInstance(svc, "h1");
  again.metadata["color"] = "red";  // ignored: the store holds h1, so this is a keepalive
  ASSERT_TRUE(other.Register(again).ok());
  Service after = MustGet(svc);
  EXPECT_EQ(after.version, before.version) << "a register without refresh of a stored instance writes nothing";
  EXPECT_EQ(InstanceIn(after, "z1", "h1").metadata.at("color"), "blue");
  EXPECT_EQ(InstanceIn(after, "z1", "h1").data_version, InstanceIn(before, "z1", "h1").data_version);
}

std::string TargetName(const ::testing::TestParamInfo<ConformanceTarget>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(Backends, Conformance, ::testing::ValuesIn(Targets()), TargetName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Conformance);

}  // namespace

void AddConformanceTarget(const ConformanceTarget& target) { Targets().push_back(target); }

void PrintTo(const ConformanceTarget& target, std::ostream* os) { *os << target.name; }

int RunConformance(int argc, char** argv) {
  // Targets must exist before InitGoogleTest, which instantiates the
  // parameterized tests; gtest's own flags are left for it.
  std::chrono::milliseconds expiry_grace = ConformanceTarget().expiry_grace;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string path;
    if (arg.rfind("--gtest_", 0) == 0) continue;
    if (arg == "--help" || arg == "-h") {
      std::printf(
          "usage: kreg-conformance [--expiry-grace 3s] --config FILE [--config FILE]...\n"
          "                        [--gtest_filter=PATTERN]\n"
          "Runs the kreg conformance kit against each backend a config names (its\n"
          "registry.plugin), through the host and the C ABI as keeper uses them.\n"
          "Tests use fresh service names, so the backends need no cleanup. The rules\n"
          "checked are those of CONTRACT.md (share/doc/kreg/), whose \"What the kit\n"
          "checks\" maps each case to them. --expiry-grace: how long past its TTL an\n"
          "unrenewed instance may still be listed (a session timeout longer than the\n"
          "TTL, a lease sweep period), for the configs after it; default 3s.\n"
          "Exit 0 when every case passed.\n");
      return 0;
    }
    if (arg == "--expiry-grace" && i + 1 < argc) {
      Status s = ParseDuration(argv[++i], &expiry_grace);
      if (!s.ok()) {
        std::fprintf(stderr, "kreg-conformance: --expiry-grace: %s\n", s.message().c_str());
        return 2;
      }
      continue;
    }
    if (arg == "--config" && i + 1 < argc) {
      path = argv[++i];
    } else if (arg.rfind("--config=", 0) == 0) {
      path = arg.substr(std::strlen("--config="));
    } else {
      std::fprintf(stderr, "kreg-conformance: unknown argument %s (use --config FILE, or --help)\n", arg.c_str());
      return 2;
    }
    ConformanceTarget target;
    Status s = host::LoadConfig(path, &target.config);
    if (!s.ok()) {
      std::fprintf(stderr, "kreg-conformance: %s\n", s.ToString().c_str());
      return 2;
    }
    // "file" for both `plugin: file` and `plugin: .../libkreg_file.so`.
    target.name = std::filesystem::path(target.config.plugin).stem().string();
    if (target.name.rfind("libkreg_", 0) == 0) target.name = target.name.substr(std::strlen("libkreg_"));
    for (char& c : target.name) {
      if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    }
    // Two configs of one plugin are two targets: file, file_2, ...
    const std::string base = target.name;
    for (int n = 2; std::any_of(Targets().begin(), Targets().end(),
                                [&](const ConformanceTarget& t) { return t.name == target.name; });
         ++n) {
      target.name = base + "_" + std::to_string(n);
    }
    target.expiry_grace = expiry_grace;
    AddConformanceTarget(target);
  }
  ::testing::InitGoogleTest(&argc, argv);
  if (Targets().empty()) {
    std::fprintf(stderr, "kreg-conformance: no target; pass --config FILE naming your plugin\n");
    return 2;
  }
  return RUN_ALL_TESTS();
}

}  // namespace testing
}  // namespace kreg
