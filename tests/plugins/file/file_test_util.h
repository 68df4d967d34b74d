// Helpers for the file plugin's tests: the plugin loaded through its C
// entry point, temp dirs, and recorders for log lines and watch events.
#ifndef KREG_TESTS_PLUGINS_FILE_FILE_TEST_UTIL_H_
#define KREG_TESTS_PLUGINS_FILE_FILE_TEST_UTIL_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "kreg/registry.hpp"
#include "support/sample.h"
#include "support/temp_dir.h"

namespace kreg {
namespace file_test {

// Opens a file backend on `path` through the plugin's C ABI, with
// options["path"] = path plus `extra` options. Log lines go to `log` when
// given.
class LogRecorder;
Status OpenFileRegistry(const std::string& path, Registry* out, LogRecorder* log = nullptr,
                        const StringMap& extra = {});
// The same with a per-operation timeout (registry.timeout; 0: the default).
Status OpenFileRegistryWithTimeout(const std::string& path, std::chrono::milliseconds timeout, Registry* out,
                                   LogRecorder* log = nullptr, const StringMap& extra = {});
// The same with exactly `options` (no implied path).
Status OpenWithOptions(const StringMap& options, Registry* out);

using testing::TempDir;

class LogRecorder {
 public:
  LogFunction Function();
  // True when a line at `level` contains `text`.
  bool Contains(kreg_log_level level, const std::string& text) const;

 private:
  mutable std::mutex mu_;
  std::vector<std::pair<kreg_log_level, std::string>> lines_;
};

// Records a watch's events; the test thread waits for them.
class EventRecorder {
 public:
  Watch::Callback Callback();
  // Waits until `done(events)` holds; false on timeout.
  bool WaitFor(const std::function<bool(const std::vector<WatchEvent>&)>& done,
               std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Waits until there are at least `n` events.
  bool WaitForCount(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(5));
  std::vector<WatchEvent> events() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<WatchEvent> events_;
};

using testing::MakeInstance;

std::string ReadBytes(const std::string& path);
// True when `path` itself is a symbolic link.
bool IsSymlink(const std::string& path);
void WriteBytes(const std::string& path, const std::string& bytes);
// Replaces the file at `path` by rename, as a tool that restores a copy
// would: a watch never sees it half written.
void ReplaceBytes(const std::string& path, const std::string& bytes);
nlohmann::json ReadJson(const std::string& path);

// A registry on a fresh file in a temp dir, its log recorded, and a watch
// of it that StartWatch starts.
class WatchedFileTest : public ::testing::Test {
 protected:
  void SetUp() override;
  // Starts the watch and waits for its initial state and SYNCED.
  void StartWatch();

  TempDir dir_;
  std::string path_ = dir_.Join("registry.json");
  LogRecorder log_;
  Registry registry_;
  EventRecorder recorder_;
  std::unique_ptr<Watch> watch_;
};

// The index of the first event matching, or -1.
int FindEvent(const std::vector<WatchEvent>& events, EventType type, const std::string& service,
              const std::string& id);

}  // namespace file_test
}  // namespace kreg

#endif  // KREG_TESTS_PLUGINS_FILE_FILE_TEST_UTIL_H_
