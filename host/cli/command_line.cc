#include "command_line.h"

#include <functional>

#include <CLI/CLI.hpp>

#include "args.h"
#include "kreg/duration.hpp"
#include "kreg/validate.hpp"

namespace kreg {
namespace cli {
namespace {

using Take = std::function<Status(const std::string&)>;

constexpr const char* kSeeHelp = " (see kregctl --help)";
constexpr const char* kExitCodes =
    "Exit codes: 0 ok, 1 failed, 2 usage, 3 service not found, 4 watch timed out before --count.";

// The flag's value goes through `take`, which parses, checks and keeps it;
// its failure, after the flag's name and `separator`, is the error line.
// A repeatable flag takes one value each time it is given (--addr a
// --addr b); given twice, any other flag keeps its last value.
CLI::Option* AddValueFlag(CLI::App* command, const std::string& name, const std::string& form, const std::string& help,
                          bool repeatable, const char* separator, Take take) {
  CLI::callback_t callback = [name, separator, take](const CLI::results_t& values) {
    for (const std::string& value : values) {
      Status s = take(value);
      // CLI11 reports a callback's ValidationError with the message as is.
      if (!s.ok()) throw CLI::ValidationError(name + separator + s.message());
    }
    return true;
  };
  CLI::Option* option = command->add_option(name, callback, help);
  option->type_name(form);
  option->multi_option_policy(repeatable ? CLI::MultiOptionPolicy::TakeAll : CLI::MultiOptionPolicy::TakeLast);
  return option;
}

// A flag whose value has the form `form`, parsed by one of args.h's
// parsers, whose messages follow the flag's name: --addr "x" must be ...
CLI::Option* AddFormFlag(CLI::App* command, const std::string& name, const std::string& form, const std::string& help,
                         bool repeatable, Take take) {
  return AddValueFlag(command, name, form, help, repeatable, " ", std::move(take));
}

// A duration (kreg/duration.hpp), handed to `take` to check and keep; the
// error reads like the config reader's: --ttl: bad duration "x": ...
CLI::Option* AddDurationFlag(CLI::App* command, const std::string& name, const std::string& help,
                             std::function<Status(std::chrono::milliseconds)> take) {
  return AddValueFlag(command, name, "DURATION", help, false, ": ", [take](const std::string& text) {
    std::chrono::milliseconds d{0};
    Status s = ParseDuration(text, &d);
    return s.ok() ? take(d) : s;
  });
}

CLI::Option* AddTextFlag(CLI::App* command, const std::string& name, const std::string& form, const std::string& help,
                         std::string* out) {
  return AddValueFlag(command, name, form, help, false, " ", [out](const std::string& text) {
    *out = text;
    return Status::OK();
  });
}

// A service name or instance id (`what` in the error). Refused here, as a
// malformed value (exit 2), not later by the registry as a failed call.
CLI::Option* AddNameFlag(CLI::App* command, const std::string& name, const std::string& form, const std::string& help,
                         const char* what, std::string* out) {
  return AddValueFlag(command, name, form, help, false, ": ", [what, out](const std::string& text) {
    Status s = ValidateName(what, text);
    if (s.ok()) *out = text;
    return s;
  });
}

CLI::App* AddCommand(CLI::App* app, const std::string& name, const std::string& help) {
  CLI::App* command = app->add_subcommand(name, help);
  command->group("Commands");
  // --config and --json may come after the command too.
  command->fallthrough();
  command->footer(std::string("Also takes --config FILE and --json (see kregctl --help).\n") + kExitCodes);
  return command;
}

void DeclareRegister(CLI::App* app, CommandLine* out) {
  CLI::App* c =
      AddCommand(app, "register", "register an instance; again while it is live, renew its lease (a keepalive)");
  Instance* in = &out->instance;
  AddNameFlag(c, "--service", "NAME", "the service", "service name", &in->service_name)->required();
  AddNameFlag(c, "--id", "ID", "the instance's id, unique in the service", "instance id", &in->id)->required();
  AddTextFlag(c, "--zone", "ZONE", "its zone, e.g. sh001", &in->zone);
  AddTextFlag(c, "--env", "ENV", "its environment, e.g. prod", &in->env);
  AddTextFlag(c, "--hostname", "HOST", "its host name", &in->hostname);
  AddFormFlag(c, "--addr", "scheme=host:port", "an address, e.g. http=127.0.0.1:8080 (repeatable)", true,
              [in](const std::string& text) {
                std::string scheme, host_port;
                Status s = ParseAddr(text, &scheme, &host_port);
                if (s.ok()) in->addrs[scheme] = host_port;
                return s;
              });
  AddFormFlag(c, "--meta", "k=v", "a metadata entry (repeatable)", true, [in](const std::string& text) {
    std::string key, value;
    Status s = ParseKeyValue(text, &key, &value);
    if (s.ok()) in->metadata[key] = value;
    return s;
  });
  AddDurationFlag(c, "--ttl", "the lease: the instance goes this long after its last renewal",
                  [out](std::chrono::milliseconds ttl) {
                    if (ttl.count() <= 0) return Status::InvalidArgument("the TTL must be longer than 0");
                    out->register_options.ttl = ttl;
                    return Status::OK();
                  })
      ->default_str(FormatDuration(kDefaultTtl));
  c->add_flag("--refresh", out->register_options.refresh, "rewrite the stored data (a modify event)");
  c->add_flag("--hold", out->hold, "stay, renewing every TTL/3, until SIGINT or SIGTERM, then deregister");
}

void DeclareDeregister(CLI::App* app, CommandLine* out) {
  CLI::App* c = AddCommand(app, "deregister", "remove an instance");
  AddNameFlag(c, "--service", "NAME", "the service", "service name", &out->instance.service_name)->required();
  AddNameFlag(c, "--id", "ID", "the instance's id", "instance id", &out->instance.id)->required();
}

void DeclareGet(CLI::App* app, CommandLine* out) {
  CLI::App* c = AddCommand(app, "get", "print a service: its instances by zone and its metadata");
  AddNameFlag(c, "SERVICE", "", "the service", "service name", &out->service)->required();
}

void DeclareWatch(CLI::App* app, CommandLine* out) {
  CLI::App* c = AddCommand(app, "watch", "print the current state as create events, then synced, then each change");
  AddFormFlag(c, "--count", "N", "stop after N changes after synced (the initial state does not count)", false,
              [out](const std::string& text) { return ParseCount(text, &out->count); });
  AddDurationFlag(c, "--timeout", "stop after this long (exit 4 if --count changes were not seen)",
                  [out](std::chrono::milliseconds timeout) {
                    out->timeout = timeout;
                    return Status::OK();
                  });
}

void DeclareSetProperty(CLI::App* app, CommandLine* out) {
  CLI::App* c = AddCommand(app, "set-property", "set a service's zone weights and per-instance attributes");
  Property* p = &out->property;
  AddNameFlag(c, "--service", "NAME", "the service", "service name", &p->service_name)->required();
  AddFormFlag(c, "--zone-weight", "SRC:DST=W", "the weight W of zone DST for calls from zone SRC (repeatable)", true,
              [p](const std::string& text) {
                std::string src, dst;
                uint64_t weight = 0;
                Status s = ParseZoneWeight(text, &src, &dst, &weight);
                if (!s.ok()) return s;
                ZoneWeight& zw = p->zone_weights[src];
                zw.src = src;
                zw.dst[dst] = weight;
                return s;
              });
  AddFormFlag(c, "--attr", "ID:k=v",
              "an attribute of instance ID, e.g. web-1:backend-metadata-online=N (repeatable); the id may hold ':'",
              true, [p](const std::string& text) {
                std::string id, key, value;
                Status s = ParseAttr(text, &id, &key, &value);
                if (s.ok()) p->attrs[id][key] = value;
                return s;
              });
}

void Declare(CLI::App* app, CommandLine* out) {
  app->footer(std::string("Run `kregctl COMMAND --help` for a command's flags.\n") + kExitCodes);
  app->get_formatter()->label("SUBCOMMAND", "COMMAND");
  app->get_formatter()->column_width(32);
  // Extras are reported below, in kregctl's words rather than CLI11's.
  app->allow_extras();
  app->require_subcommand(0, 1);
  AddTextFlag(app, "--config", "FILE", "the YAML config", &out->config_path)->default_str(out->config_path);
  app->add_flag("--json", out->json, "print one JSON object per line");
  DeclareRegister(app, out);
  DeclareDeregister(app, out);
  DeclareGet(app, out);
  AddCommand(app, "list", "print every service, one line each");
  DeclareWatch(app, out);
  DeclareSetProperty(app, out);
  AddCommand(app, "type", "print the backend's type");
  AddCommand(app, "plugins", "print the plugins found, their ABI version and type");
}

// Every command declared, not only the one given.
std::vector<const CLI::App*> AllCommands(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App*) { return true; });
}

bool IsFlagOfSomeCommand(const CLI::App& app, const std::string& flag) {
  for (const CLI::App* command : AllCommands(app)) {
    if (command->get_option_no_throw(flag) != nullptr) return true;
  }
  return false;
}

// What CLI11 could not place: an unknown command or flag, a flag of
// another command, a word too many. OK when there is none.
Status CheckLeftOver(const CLI::App& app, const CLI::App* command) {
  std::vector<std::string> left = app.remaining(true);
  if (left.empty()) return Status::OK();
  const std::string& first = left.front();
  if (first.size() > 1 && first[0] == '-') {
    std::string flag = first.substr(0, first.find('='));
    if (command != nullptr && IsFlagOfSomeCommand(app, flag)) {
      return Status::InvalidArgument(flag + " is not a flag of `kregctl " + command->get_name() + "`" + kSeeHelp);
    }
    return Status::InvalidArgument("unknown flag " + flag + kSeeHelp);
  }
  if (command == nullptr) return Status::InvalidArgument("unknown command \"" + first + "\"" + kSeeHelp);
  return Status::InvalidArgument("`kregctl " + command->get_name() + "` takes no argument \"" + first + "\"" +
                                 kSeeHelp);
}

// Names may start with '-' ([A-Za-z0-9._:@-]), which CLI11 takes for a
// short flag. `get` has no short flag, so a lone "-name" left over is its
// SERVICE; after "--" CLI11 takes the word as SERVICE itself but leaves the
// "--" over. A "--name" stays an unknown flag.
bool TakeDashedService(const std::vector<std::string>& left, std::string* service) {
  if (left.size() != 1) return false;
  if (left[0] == "--") return !service->empty();
  if (service->empty() && left[0].size() > 1 && left[0][0] == '-' && left[0][1] != '-') {
    *service = left[0];
    return true;
  }
  return false;
}

// The first required flag or argument of `command` not given.
Status MissingRequired(const CLI::App& command) {
  for (const CLI::Option* option : command.get_options()) {
    if (option->get_required() && option->count() == 0) {
      return Status::InvalidArgument("kregctl " + command.get_name() + " needs " + option->get_name() + kSeeHelp);
    }
  }
  return Status::OK();
}

std::string CommandNames(const CLI::App& app) {
  std::string names;
  for (const CLI::App* command : AllCommands(app)) {
    names += (names.empty() ? "" : ", ") + command->get_name();
  }
  return names;
}

}  // namespace

Status ParseCommandLine(const std::vector<std::string>& args, CommandLine* out) {
  CLI::App app("kregctl: register, find and watch services through a kreg backend", "kregctl");
  Declare(&app, out);
  std::string error;
  bool missing_required = false;
  try {
    // CLI11 takes the arguments last first.
    app.parse(std::vector<std::string>(args.rbegin(), args.rend()));
  } catch (const CLI::CallForHelp&) {
    out->help = app.help();
    return Status::OK();
  } catch (const CLI::ValidationError& e) {
    error = e.what();  // kregctl's own value errors already say how to fix them
  } catch (const CLI::RequiredError& e) {
    missing_required = true;
    error = e.what() + std::string(kSeeHelp);
  } catch (const CLI::ParseError& e) {
    error = e.what() + std::string(kSeeHelp);
  }
  std::vector<CLI::App*> chosen = app.get_subcommands();
  const CLI::App* command = chosen.empty() ? nullptr : chosen.front();
  if (command != nullptr && command->get_name() == "get" && (error.empty() || missing_required) &&
      TakeDashedService(app.remaining(true), &out->service)) {
    out->command = "get";
    Status s = ValidateName("service name", out->service);
    return s.ok() ? s : Status::InvalidArgument("SERVICE: " + s.message());
  }
  // A misspelt flag explains a "missing" or malformed one, so it comes first.
  Status s = CheckLeftOver(app, command);
  if (!s.ok()) return s;
  if (missing_required && command != nullptr) s = MissingRequired(*command);
  if (!s.ok()) return s;
  if (!error.empty()) return Status::InvalidArgument(error);
  if (command == nullptr) {
    return Status::InvalidArgument("no command given; the commands are " + CommandNames(app) + kSeeHelp);
  }
  out->command = command->get_name();
  return Status::OK();
}

}  // namespace cli
}  // namespace kreg
