// keeper-embed: how keeper embeds kreg. It opens whatever backend a YAML
// file names (the file kregctl reads: swapping backends is a config edit,
// not a rebuild), keeps an in-memory book of every service from one list
// plus a watch, and prints each change the book takes:
//
//   <service> <instance id> create|modify|delete version=<N>
//   <service> property create|modify|delete version=<N>
//   synced                     (once: the book has caught up with the store)
//
// Usage: keeper-embed --config FILE [--count N]
// With --count N it exits 0 after N changes after synced; otherwise it runs
// until SIGINT or SIGTERM. An error is one line on stderr and exit 1 (2 for
// a usage error).
#include <kreg/host/logging.h>
#include <kreg/host/open.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace {

volatile std::sig_atomic_t g_stop = 0;
void OnStopSignal(int) { g_stop = 1; }

// Every service as keeper holds it. Keeper lists first so it can answer at
// once; the watch then brings what changed since. Its initial snapshot
// repeats the whole current state, so the versions (api/CONTRACT.md
// "Versions") tell repeats from changes.
class ServiceBook {
 public:
  void Seed(const std::vector<kreg::Service>& services) {
    for (const kreg::Service& service : services) {
      Entry& entry = services_[service.service_name];
      entry.version = service.version;
      entry.listed = true;
      for (const auto& [zone, by_id] : service.instances) {
        for (const auto& [id, instance] : by_id) entry.instances[id] = *instance;
      }
    }
  }

  // Applies one watch event (events arrive one at a time) and prints it when
  // it changed the book. Returns whether it did, after synced.
  bool Apply(const kreg::WatchEvent& event) {
    if (event.type == kreg::EventType::kError) {
      std::fprintf(stderr, "keeper-embed: watch: %s\n", event.message.c_str());  // the watch goes on
      return false;
    }
    if (event.type == kreg::EventType::kSynced) {
      DropWhatTheSnapshotLacked();
      synced_ = true;
      Print("synced");
      return false;
    }
    bool is_property = event.info == kreg::EventInfo::kProperty;
    std::string id = is_property ? "property" : event.instance.id;
    Entry& entry = services_[event.service_name];
    if (!synced_ && !is_property) entry.in_snapshot.insert(id);
    // A version below the book's is a state already passed. The version the
    // list gave is the state the list showed: not a change, though it says
    // whether a property exists, which the merged list cannot. An equal
    // version otherwise is another event of the same state (one backend
    // transaction, e.g. a ZooKeeper session closing deletes all its
    // instances at one version), so it is applied, not dropped.
    if (event.version < entry.version) return false;
    bool listed_state = entry.listed && event.version == entry.version;
    entry.version = event.version;
    entry.listed = listed_state;
    bool deleted = event.type == kreg::EventType::kDelete;
    bool had = is_property ? entry.has_property : entry.instances.count(id) > 0;
    // The snapshot stamps every event with the service's current version:
    // an entry it repeats at the entry's own version did not change.
    int64_t own_version = is_property ? event.property.version : event.instance.version;
    bool repeated = !synced_ && had && !deleted &&
                    own_version == (is_property ? entry.property_version : entry.instances[id].version);
    if (is_property) {
      entry.has_property = !deleted;
      entry.property_version = own_version;
    } else if (deleted) {
      entry.instances.erase(id);
    } else {
      entry.instances[id] = event.instance;
    }
    if (listed_state || repeated || (deleted && !had)) return false;
    Print(event.service_name + " " + id + (deleted ? " delete" : had ? " modify" : " create") +
          " version=" + std::to_string(event.version));
    return synced_;
  }

 private:
  struct Entry {
    int64_t version = 0;
    bool listed = false;  // `version` is the one ListServices gave
    std::map<std::string, kreg::Instance> instances;  // id -> instance
    bool has_property = false;
    int64_t property_version = 0;
    std::set<std::string> in_snapshot;  // instance ids the watch's snapshot gave
  };

  // The snapshot is the whole state, so what it lacked went after the list.
  // A service it did not mention at all lost everything at a version the
  // book cannot know; it keeps the listed one.
  void DropWhatTheSnapshotLacked() {
    for (auto& [name, entry] : services_) {
      for (auto it = entry.instances.begin(); it != entry.instances.end();) {
        if (entry.in_snapshot.count(it->first) > 0) {
          ++it;
          continue;
        }
        Print(name + " " + it->first + " delete version=" + std::to_string(entry.version));
        it = entry.instances.erase(it);
      }
      entry.in_snapshot.clear();
    }
  }

  static void Print(const std::string& line) {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);  // a line is seen as it happens, also through a pipe
  }

  std::map<std::string, Entry> services_;
  bool synced_ = false;
};

int Fail(const std::string& what, const kreg::Status& status) {
  std::fprintf(stderr, "keeper-embed: %s: %s\n", what.c_str(), status.ToString().c_str());
  return 1;
}

int Usage(const std::string& problem) {
  std::fprintf(stderr, "keeper-embed: %s (usage: keeper-embed --config FILE [--count N])\n", problem.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
  long long count = 0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help") {
      std::printf("usage: keeper-embed --config FILE [--count N]\n");
      return 0;
    }
    if (i + 1 == argc || (arg != "--config" && arg != "--count")) return Usage("unknown argument " + arg);
    std::string value = argv[++i];
    if (arg == "--config") {
      config_path = value;
      continue;
    }
    size_t used = 0;
    try {
      count = std::stoll(value, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != value.size() || count < 1) return Usage("--count must be a positive number, not " + value);
  }
  if (config_path.empty()) return Usage("--config FILE is required");

  kreg::host::Config config;
  kreg::Status s = kreg::host::LoadConfig(config_path, &config);
  if (!s.ok()) return Fail("config", s);
  kreg::host::SetLogLevel(config.log_level);
  kreg::Registry registry;
  s = kreg::host::OpenRegistry(config, &registry);
  if (!s.ok()) return Fail("open", s);
  std::vector<kreg::Service> services;
  s = registry.ListServices(&services);
  if (!s.ok()) return Fail("list", s);
  ServiceBook book;
  book.Seed(services);

  std::signal(SIGINT, OnStopSignal);
  std::signal(SIGTERM, OnStopSignal);
  std::mutex mu;
  std::condition_variable changed;
  long long changes = 0;
  std::unique_ptr<kreg::Watch> watch;
  s = registry.StartWatch(
      [&](const kreg::WatchEvent& event) {
        if (!book.Apply(event)) return;
        std::lock_guard<std::mutex> lock(mu);
        ++changes;
        changed.notify_all();
      },
      &watch);
  if (!s.ok()) return Fail("watch", s);
  {
    // Polled, because a signal handler cannot notify a condition variable.
    std::unique_lock<std::mutex> lock(mu);
    while (g_stop == 0 && (count == 0 || changes < count)) changed.wait_for(lock, std::chrono::milliseconds(100));
  }
  watch->Cancel();  // before the book it writes to goes
  return 0;
}
