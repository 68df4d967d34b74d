// kregctl: the command-line face of kreg (README "kregctl"). A thin front
// end over the host library: every command opens the Registry the config
// names and makes one or a few calls on it.
//
// Exit codes: 0 success; 1 the operation, the config or the plugin failed;
// 2 a usage error; 3 the service was not found; 4 a watch ended by
// --timeout before --count events.
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <ctime>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "command_line.h"
#include "kreg/duration.hpp"
#include "kreg/host/config.h"
#include "kreg/host/logging.h"
#include "kreg/host/open.h"
#include "kreg/host/plugin_loader.h"
#include "output.h"

namespace kreg {
namespace cli {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitNotFound = 3;
constexpr int kExitWatchTimeout = 4;

int Fail(const std::string& message, int code) {
  std::fprintf(stderr, "kregctl: %s\n", message.c_str());
  return code;
}

int FailStatus(const Status& s) {
  return Fail(s.ToString(), s.code() == KREG_NOT_FOUND ? kExitNotFound : kExitFailed);
}

// For the commands that run until stopped (register --hold, watch),
// SIGINT and SIGTERM are blocked in every thread and collected with
// sigtimedwait, so they can stop cleanly without handlers. The one-shot
// commands keep the default: a signal ends them wherever they wait (e.g.
// for a lock a stuck process holds).
sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

// Waits up to `timeout` for a stop signal; true when one arrived.
bool WaitForStopSignal(std::chrono::milliseconds timeout) {
  sigset_t set = StopSignals();
  timespec ts{static_cast<time_t>(timeout.count() / 1000), static_cast<long>((timeout.count() % 1000) * 1000000)};
  return sigtimedwait(&set, nullptr, &ts) > 0;
}

class Commands {
 public:
  Commands(const CommandLine& line, const Output& out) : line_(line), out_(out) {}

  int Run() {
    const std::string& command = line_.command;
    if (command == "plugins") return Plugins();
    // A missing config or plugin is a failure (1), not "not found" (3),
    // which scripts read as "the service is absent".
    Status s = Open();
    if (!s.ok()) return Fail(s.ToString(), kExitFailed);
    if (command == "register") return Register();
    if (command == "deregister") return Deregister();
    if (command == "get") return Get();
    if (command == "list") return List();
    if (command == "watch") return RunWatch();
    if (command == "set-property") return SetProperty();
    // "type", the one command left.
    out_.PrintType(registry_.Type());
    return kExitOk;
  }

 private:
  Status Open() {
    host::Config config;
    Status s = host::LoadConfig(line_.config_path, &config);
    if (!s.ok()) return s;
    host::SetLogLevel(config.log_level);
    return host::OpenRegistry(config, &registry_);
  }

  int Register() {
    // The times stay 0: the backend fills them (FillTimes), so a refresh
    // keeps the stored reg_time.
    const Instance& in = line_.instance;
    RegisterOptions options = line_.register_options;
    Status s = registry_.Register(in, options);
    if (!s.ok()) return FailStatus(s);
    out_.Done(options.refresh ? "refreshed" : "registered", in.service_name, in.id);
    if (!line_.hold) return kExitOk;

    // Renew well inside the TTL until asked to stop, then deregister: with
    // an ephemeral backend the instance would otherwise die with us anyway,
    // but deregistering removes it at once.
    options.refresh = false;
    std::chrono::milliseconds period = std::max(options.ttl / 3, std::chrono::milliseconds(10));
    while (!WaitForStopSignal(period)) {
      s = registry_.Register(in, options);
      if (!s.ok()) spdlog::warn("renewing {}/{} failed: {}", in.service_name, in.id, s.ToString());
    }
    s = registry_.Deregister(in.service_name, in.id);
    if (!s.ok()) return FailStatus(s);
    out_.Done("deregistered", in.service_name, in.id);
    return kExitOk;
  }

  int Deregister() {
    const std::string& service = line_.instance.service_name;
    const std::string& id = line_.instance.id;
    Status s = registry_.Deregister(service, id);
    if (!s.ok()) return FailStatus(s);
    out_.Done("deregistered", service, id);
    return kExitOk;
  }

  int Get() {
    Service service;
    Status s = registry_.GetService(line_.service, &service);
    if (!s.ok()) return FailStatus(s);
    out_.PrintService(service);
    return kExitOk;
  }

  int List() {
    std::vector<Service> services;
    Status s = registry_.ListServices(&services);
    if (!s.ok()) return FailStatus(s);
    out_.PrintServiceList(services);
    return kExitOk;
  }

  int RunWatch() {
    const int64_t count = line_.count;
    const std::chrono::milliseconds timeout = line_.timeout;
    // --count counts changes after the synced marker, not the initial
    // state's creates; events arrive one at a time, so `synced` needs no lock.
    std::atomic<int64_t> seen{0};
    std::atomic<bool> done{false};
    bool synced = false;
    std::unique_ptr<Watch> watch;
    Status s = registry_.StartWatch(
        [&](const WatchEvent& event) {
          if (done.load()) return;
          out_.PrintEvent(event);
          if (event.type == EventType::kSynced) synced = true;
          if (!synced || event.type == EventType::kSynced || event.type == EventType::kError) return;
          if (count > 0 && seen.fetch_add(1) + 1 >= count) done.store(true);
        },
        &watch);
    if (!s.ok()) return FailStatus(s);

    auto deadline = std::chrono::steady_clock::now() + timeout;
    bool timed_out = false;
    while (!done.load()) {
      if (WaitForStopSignal(std::chrono::milliseconds(50))) break;
      if (timeout.count() > 0 && std::chrono::steady_clock::now() >= deadline) {
        timed_out = true;
        break;
      }
    }
    watch->Cancel();
    if (timed_out && count > 0) {
      return Fail("watch timed out after " + FormatDuration(timeout) + " with " + std::to_string(seen.load()) +
                      " of " + std::to_string(count) + " events",
                  kExitWatchTimeout);
    }
    return kExitOk;
  }

  int SetProperty() {
    const Property& p = line_.property;
    Status s = registry_.SetProperty(p);
    if (!s.ok()) return FailStatus(s);
    out_.Done("property set", p.service_name, "");
    return kExitOk;
  }

  int Plugins() {
    host::Config config;
    // The config is optional here: without one, list the default dirs. A
    // config that is there but wrong is an error, as for every command,
    // rather than a plugin_dir silently left out.
    Status s = host::LoadConfig(line_.config_path, &config);
    if (!s.ok() && s.code() != KREG_NOT_FOUND) return Fail(s.ToString(), kExitFailed);
    std::vector<std::string> dirs = host::PluginSearchDirs(config.plugin_dir);
    std::vector<host::PluginListing> found = host::ListPlugins(dirs);
    if (found.empty()) {
      std::string where;
      for (const auto& d : dirs) where += (where.empty() ? "" : ", ") + d;
      return Fail("no plugins found in " + where, kExitFailed);
    }
    for (const auto& p : found) {
      if (p.status.ok()) {
        out_.PrintPlugin(p.path, p.table->name,
                         std::to_string(p.table->abi_major) + "." + std::to_string(p.table->abi_minor),
                         p.table->description, "");
      } else {
        out_.PrintPlugin(p.path, "", "", "", p.status.ToString());
      }
    }
    return kExitOk;
  }

  const CommandLine& line_;
  const Output& out_;
  Registry registry_;
};

int Main(int argc, char** argv) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("kregctl"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");

  CommandLine line;
  Status s = ParseCommandLine(std::vector<std::string>(argv + 1, argv + argc), &line);
  if (!s.ok()) return Fail(s.message(), kExitUsage);
  if (!line.help.empty()) {
    std::fputs(line.help.c_str(), stdout);
    return kExitOk;
  }
  bool runs_until_stopped = line.command == "watch" || (line.command == "register" && line.hold);
  if (runs_until_stopped) {
    // Before the plugin starts any thread, so every thread inherits the mask.
    sigset_t stop = StopSignals();
    pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  }
  Output out(line.json);
  Commands commands(line, out);
  return commands.Run();
}

}  // namespace
}  // namespace cli
}  // namespace kreg

int main(int argc, char** argv) { return kreg::cli::Main(argc, argv); }
