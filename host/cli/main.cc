// kregctl: the command-line face of kreg (README "kregctl"). A thin front
// end over the host library: every command opens the Registry the config
// names and makes one or a few calls on it.
//
// Exit codes: 0 success; 1 the operation, the config or the plugin failed;
// 2 a usage error; 3 the service was not found; 4 a watch ended by
// --timeout before --count events.
#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <mutex>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "args.h"
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

constexpr const char* kUsage = R"(usage: kregctl [--config FILE] [--json] COMMAND ...

commands:
  register     --service S --id I [--zone Z] [--env E] [--hostname H]
               [--addr scheme=host:port]... [--meta k=v]... [--ttl 30s]
               [--refresh] [--hold]
  deregister   --service S --id I
  get          SERVICE
  list
  watch        [--count N] [--timeout 10s]
  set-property --service S [--zone-weight SRC:DST=W]... [--attr ID:k=v]...
  type
  plugins      the plugins found, their ABI version and type

--config FILE  the YAML config (default configs/file.yaml)
--json         one JSON object per line
exit codes: 0 ok, 1 failed, 2 usage, 3 service not found, 4 watch timed out before --count
)";

int Fail(const std::string& message, int code) {
  std::fprintf(stderr, "kregctl: %s\n", message.c_str());
  return code;
}

int FailStatus(const Status& s) {
  return Fail(s.ToString(), s.code() == KREG_NOT_FOUND ? kExitNotFound : kExitFailed);
}

int Usage(const Status& s) { return Fail(s.message(), kExitUsage); }

// Splits "key<sep>value"; false when `sep` is missing or either side empty.
bool SplitPair(const std::string& text, char sep, std::string* key, std::string* value) {
  size_t at = text.find(sep);
  if (at == std::string::npos || at == 0 || at + 1 >= text.size()) return false;
  *key = text.substr(0, at);
  *value = text.substr(at + 1);
  return true;
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

int64_t NowSeconds() { return static_cast<int64_t>(std::time(nullptr)); }

class Commands {
 public:
  Commands(const Args& args, const Output& out) : args_(args), out_(out) {}

  int Run(const std::string& command) {
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
    if (command == "type") {
      out_.PrintType(registry_.Type());
      return kExitOk;
    }
    return Fail("unknown command \"" + command + "\" (see kregctl --help)", kExitUsage);
  }

 private:
  Status Open() {
    host::Config config;
    Status s = host::LoadConfig(args_.Get("config", "configs/file.yaml"), &config);
    if (!s.ok()) return s;
    host::SetLogLevel(config.log_level);
    return host::OpenRegistry(config, &registry_);
  }

  int Register() {
    Instance in;
    std::string ttl_text = args_.Get("ttl", FormatDuration(kDefaultTtl));
    Status s = args_.Require("service", "register", &in.service_name);
    if (s.ok()) s = args_.Require("id", "register", &in.id);
    if (!s.ok()) return Usage(s);
    in.zone = args_.Get("zone");
    in.env = args_.Get("env");
    in.hostname = args_.Get("hostname");
    for (const auto& addr : args_.GetAll("addr")) {
      std::string scheme, hostport;
      if (!SplitPair(addr, '=', &scheme, &hostport)) {
        return Fail("--addr \"" + addr + "\" must be scheme=host:port, e.g. http=127.0.0.1:8080", kExitUsage);
      }
      in.addrs[scheme] = hostport;
    }
    for (const auto& meta : args_.GetAll("meta")) {
      std::string k, v;
      if (!SplitPair(meta, '=', &k, &v)) return Fail("--meta \"" + meta + "\" must be key=value", kExitUsage);
      in.metadata[k] = v;
    }
    in.reg_time = in.update_time = NowSeconds();
    RegisterOptions options;
    options.refresh = args_.Has("refresh");
    s = ParseDuration(ttl_text, &options.ttl);
    if (s.ok() && options.ttl.count() <= 0) s = Status::InvalidArgument("the TTL must be longer than 0");
    if (!s.ok()) return Fail("--ttl: " + s.message(), kExitUsage);

    s = registry_.Register(in, options);
    if (!s.ok()) return FailStatus(s);
    out_.Done(options.refresh ? "refreshed" : "registered", in.service_name, in.id);
    if (!args_.Has("hold")) return kExitOk;

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
    std::string service, id;
    Status s = args_.Require("service", "deregister", &service);
    if (s.ok()) s = args_.Require("id", "deregister", &id);
    if (!s.ok()) return Usage(s);
    s = registry_.Deregister(service, id);
    if (!s.ok()) return FailStatus(s);
    out_.Done("deregistered", service, id);
    return kExitOk;
  }

  int Get() {
    if (args_.positional().size() != 2) return Fail("usage: kregctl get SERVICE", kExitUsage);
    Service service;
    Status s = registry_.GetService(args_.positional()[1], &service);
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
    long long count = -1;
    if (args_.Has("count")) {
      std::string text = args_.Get("count");
      try {
        size_t used = 0;
        count = std::stoll(text, &used);
        if (used != text.size()) count = -1;
      } catch (const std::exception&) {
        count = -1;
      }
      if (count < 1) return Fail("--count must be a positive number", kExitUsage);
    }
    std::chrono::milliseconds timeout{0};
    if (args_.Has("timeout")) {
      Status s = ParseDuration(args_.Get("timeout"), &timeout);
      if (!s.ok()) return Fail("--timeout: " + s.message(), kExitUsage);
    }

    // --count counts changes after the synced marker, not the initial
    // state's creates; events arrive one at a time, so `synced` needs no lock.
    std::atomic<long long> seen{0};
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
    Property p;
    Status s = args_.Require("service", "set-property", &p.service_name);
    if (!s.ok()) return Usage(s);
    for (const auto& text : args_.GetAll("zone-weight")) {
      std::string route, weight_text, src, dst;
      uint64_t weight = 0;
      bool ok = SplitPair(text, '=', &route, &weight_text) && SplitPair(route, ':', &src, &dst);
      if (ok) {
        try {
          size_t used = 0;
          weight = std::stoull(weight_text, &used);
          ok = used == weight_text.size() && weight_text[0] != '-';
        } catch (const std::exception&) {
          ok = false;
        }
      }
      if (!ok) return Fail("--zone-weight \"" + text + "\" must be SRC:DST=WEIGHT, e.g. sh001:sh002=30", kExitUsage);
      ZoneWeight& zw = p.zone_weights[src];
      zw.src = src;
      zw.dst[dst] = weight;
    }
    for (const auto& text : args_.GetAll("attr")) {
      // ids may contain ':' (e.g. 10.0.0.1:8080), keys may not.
      std::string id_key, id, k, v;
      size_t colon = std::string::npos;
      bool ok = SplitPair(text, '=', &id_key, &v);
      if (ok) colon = id_key.rfind(':');
      ok = ok && colon != std::string::npos && colon > 0 && colon + 1 < id_key.size();
      if (ok) {
        id = id_key.substr(0, colon);
        k = id_key.substr(colon + 1);
      }
      if (!ok) {
        return Fail("--attr \"" + text + "\" must be ID:key=value, e.g. web-1:backend-metadata-online=N",
                    kExitUsage);
      }
      p.attrs[id][k] = v;
    }
    s = registry_.SetProperty(p);
    if (!s.ok()) return FailStatus(s);
    out_.Done("property set", p.service_name, "");
    return kExitOk;
  }

  int Plugins() {
    std::string plugin_dir;
    host::Config config;
    std::string config_path = args_.Get("config", "configs/file.yaml");
    // The config is optional here: without one, list the default dirs.
    if (host::LoadConfig(config_path, &config).ok()) plugin_dir = config.plugin_dir;
    std::vector<std::string> dirs = host::PluginSearchDirs(plugin_dir);
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

  const Args& args_;
  const Output& out_;
  Registry registry_;
};

// A flag given to a command that does not take it is a mistake worth
// reporting (e.g. --ttl on deregister), not something to ignore.
Status CheckFlagsOf(const std::string& command, const Args& args) {
  static const std::map<std::string, std::set<std::string>> kFlags = {
      {"register", {"service", "id", "zone", "env", "hostname", "addr", "meta", "ttl", "refresh", "hold"}},
      {"deregister", {"service", "id"}},
      {"watch", {"count", "timeout"}},
      {"set-property", {"service", "zone-weight", "attr"}},
  };
  static const std::set<std::string> kCommandFlags = {"service", "id",    "zone",    "env",     "hostname",
                                                      "addr",    "meta",  "ttl",     "refresh", "hold",
                                                      "count",   "timeout", "zone-weight", "attr"};
  auto allowed = kFlags.find(command);
  for (const auto& flag : kCommandFlags) {
    if (!args.Has(flag)) continue;
    if (allowed == kFlags.end() || allowed->second.count(flag) == 0) {
      return Status::InvalidArgument("--" + flag + " is not a flag of `kregctl " + command + "` (see kregctl --help)");
    }
  }
  return Status::OK();
}

bool RunsUntilStopped(const std::string& command, const Args& args) {
  return command == "watch" || (command == "register" && args.Has("hold"));
}

int Main(int argc, char** argv) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("kregctl"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");

  std::vector<std::string> argv_list(argv + 1, argv + argc);
  for (const auto& a : argv_list) {
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return kExitOk;
    }
  }
  FlagSpec spec;
  spec.with_value = {"config", "service", "id",    "zone",        "env",  "hostname", "addr",
                     "meta",   "ttl",     "count", "timeout",     "attr", "zone-weight"};
  spec.switches = {"json", "refresh", "hold"};
  Args args;
  Status s = args.Parse(argv_list, spec);
  if (!s.ok()) return Usage(s);
  if (args.positional().empty()) {
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  const std::string& command = args.positional()[0];
  if (command == "help") {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  s = CheckFlagsOf(command, args);
  if (!s.ok()) return Usage(s);
  if (RunsUntilStopped(command, args)) {
    // Before the plugin starts any thread, so every thread inherits the mask.
    sigset_t stop = StopSignals();
    pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  }
  Output out(args.Has("json"));
  Commands commands(args, out);
  return commands.Run(command);
}

}  // namespace
}  // namespace cli
}  // namespace kreg

int main(int argc, char** argv) { return kreg::cli::Main(argc, argv); }
