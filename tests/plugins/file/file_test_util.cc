#include "file_test_util.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace kreg {
namespace file_test {

namespace {

// The plugin, loaded once per process and never unloaded.
struct Plugin {
  std::shared_ptr<const void> library;
  const kreg_plugin* table = nullptr;
};

const Plugin& LoadPlugin() {
  static const Plugin plugin = [] {
    Plugin p;
    void* handle = dlopen(KREG_FILE_PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) throw std::runtime_error(std::string("dlopen: ") + dlerror());
    p.library = std::shared_ptr<const void>(handle, [](const void*) {});
    auto entry = reinterpret_cast<kreg_plugin_entry_fn>(dlsym(handle, KREG_PLUGIN_ENTRY_SYMBOL));
    if (entry == nullptr) throw std::runtime_error("no entry symbol in " KREG_FILE_PLUGIN_PATH);
    kreg_host_info host{sizeof(kreg_host_info), KREG_ABI_VERSION_MAJOR, KREG_ABI_VERSION_MINOR};
    char err[256] = {0};
    if (entry(&host, &p.table, err, sizeof(err)) != KREG_OK) throw std::runtime_error(err);
    return p;
  }();
  return plugin;
}

}  // namespace

Status OpenWithOptions(const StringMap& options, Registry* out) {
  const Plugin& plugin = LoadPlugin();
  OpenOptions open;
  open.options = options;
  return Registry::Open(plugin.library, plugin.table, open, out);
}

Status OpenFileRegistry(const std::string& path, Registry* out, LogRecorder* log, const StringMap& extra) {
  return OpenFileRegistryWithTimeout(path, std::chrono::milliseconds(0), out, log, extra);
}

Status OpenFileRegistryWithTimeout(const std::string& path, std::chrono::milliseconds timeout, Registry* out,
                                   LogRecorder* log, const StringMap& extra) {
  const Plugin& plugin = LoadPlugin();
  OpenOptions open;
  open.timeout = timeout;
  open.options = extra;
  open.options["path"] = path;
  if (log != nullptr) {
    open.log = log->Function();
    open.log_level = KREG_LOG_DEBUG;
  }
  return Registry::Open(plugin.library, plugin.table, open, out);
}

LogFunction LogRecorder::Function() {
  return [this](kreg_log_level level, std::string_view message) {
    std::lock_guard<std::mutex> lock(mu_);
    lines_.emplace_back(level, std::string(message));
  };
}

bool LogRecorder::Contains(kreg_log_level level, const std::string& text) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [l, line] : lines_) {
    if (l == level && line.find(text) != std::string::npos) return true;
  }
  return false;
}

Watch::Callback EventRecorder::Callback() {
  return [this](const WatchEvent& e) {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(e);
    cv_.notify_all();
  };
}

bool EventRecorder::WaitFor(const std::function<bool(const std::vector<WatchEvent>&)>& done,
                            std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return done(events_); });
}

bool EventRecorder::WaitForCount(size_t n, std::chrono::milliseconds timeout) {
  return WaitFor([n](const std::vector<WatchEvent>& events) { return events.size() >= n; }, timeout);
}

std::vector<WatchEvent> EventRecorder::events() const {
  std::lock_guard<std::mutex> lock(mu_);
  return events_;
}

bool IsSymlink(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

void ReplaceBytes(const std::string& path, const std::string& bytes) {
  const std::string temp = path + ".test-tmp";
  WriteBytes(temp, bytes);
  std::filesystem::rename(temp, path);
}

nlohmann::json ReadJson(const std::string& path) { return nlohmann::json::parse(ReadBytes(path)); }

void WatchedFileTest::SetUp() { ASSERT_TRUE(OpenFileRegistry(path_, &registry_, &log_).ok()); }

void WatchedFileTest::StartWatch() {
  Status s = registry_.StartWatch(recorder_.Callback(), &watch_);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_TRUE(recorder_.WaitFor([](const std::vector<WatchEvent>& seen) {
    for (const WatchEvent& e : seen) {
      if (e.type == EventType::kSynced) return true;
    }
    return false;
  }));
}

int FindEvent(const std::vector<WatchEvent>& events, EventType type, const std::string& service,
              const std::string& id) {
  for (size_t i = 0; i < events.size(); ++i) {
    const WatchEvent& e = events[i];
    if (e.type == type && e.service_name == service && e.info == EventInfo::kInstance && e.instance.id == id) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

}  // namespace file_test
}  // namespace kreg
