#include "kreg/host/config.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "file_type.h"
#include "kreg/duration.hpp"

namespace kreg {
namespace host {

namespace {

// "file.yaml:3:5: " — yaml-cpp marks are 0-based.
std::string Where(const std::string& source, const YAML::Mark& mark) {
  if (mark.is_null()) return source + ": ";
  return source + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1) + ": ";
}

class Reader {
 public:
  explicit Reader(const std::string& source) : source_(source) {}

  Status Error(const YAML::Node& node, const std::string& key, const std::string& what) const {
    return Status::InvalidArgument(Where(source_, node.Mark()) + key + ": " + what);
  }

  // yaml-cpp keeps both pairs of a repeated key (operator[] finds the first,
  // a loop sees both), and a NUL cuts a string short wherever it goes next (a
  // path, a C string): both are refused anywhere in the document, before
  // anything is read from it. `path` names `node`, e.g. registry.options,
  // `depth` is its nesting. The host reads nothing deeper than
  // registry.options.KEY (what is deeper has the wrong shape, an error of
  // its own), and an alias can make the tree a cycle: the walk stops there.
  Status CheckKeysAndStrings(const YAML::Node& node, const std::string& path, int depth = 0) const {
    if (depth > kDeepestRead) return Status::OK();
    if (node.IsScalar()) return CheckNoNul(node, path);
    if (node.IsSequence()) {
      for (const auto& item : node) {
        Status s = CheckKeysAndStrings(item, path, depth + 1);
        if (!s.ok()) return s;
      }
    }
    if (!node.IsMap()) return Status::OK();
    const std::string section = path.empty() ? "the top level" : path;
    std::map<std::string, YAML::Mark> first_at;
    for (const auto& kv : node) {
      if (!kv.first.IsScalar()) return Error(kv.first, section, "keys must be strings");
      const std::string& key = kv.first.Scalar();
      std::string key_path = (path.empty() ? "" : path + ".") + ShowNul(key);
      Status s = CheckNoNul(kv.first, key_path);
      if (!s.ok()) return s;
      auto [first, inserted] = first_at.emplace(key, kv.first.Mark());
      if (!inserted) {
        return Status::InvalidArgument(Where(source_, kv.first.Mark()) + "duplicate key \"" + key + "\" in " + section +
                                       " (first at " +
                                       std::to_string(first->second.line + 1) + ":" +
                                       std::to_string(first->second.column + 1) + "); keep one");
      }
      s = CheckKeysAndStrings(kv.second, key_path, depth + 1);
      if (!s.ok()) return s;
    }
    return Status::OK();
  }

  // Every key of `map` must be in `known`.
  Status CheckKeys(const YAML::Node& map, const std::string& section, const std::set<std::string>& known) const {
    if (!map.IsMap()) return Error(map, section, "must be a mapping");
    for (const auto& kv : map) {
      std::string key = kv.first.Scalar();
      if (known.count(key) == 0) {
        std::string list;
        for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
        return Status::InvalidArgument(Where(source_, kv.first.Mark()) + "unknown key \"" + key + "\" in " +
                                       section + " (known keys: " + list + ")");
      }
    }
    return Status::OK();
  }

  Status String(const YAML::Node& node, const std::string& key, std::string* out) const {
    if (!node) return Status::OK();
    if (!node.IsScalar()) return Error(node, key, "must be a string");
    *out = node.Scalar();
    return Status::OK();
  }

  Status Duration(const YAML::Node& node, const std::string& key, std::chrono::milliseconds* out) const {
    if (!node) return Status::OK();
    if (!node.IsScalar()) return Error(node, key, "must be a duration such as 5s");
    Status s = ParseDuration(node.Scalar(), out);
    return s.ok() ? s : Error(node, key, s.message());
  }

  Status StringList(const YAML::Node& node, const std::string& key, std::vector<std::string>* out) const {
    if (!node) return Status::OK();
    if (!node.IsSequence()) return Error(node, key, "must be a list, e.g. [127.0.0.1:2181]");
    for (const auto& item : node) {
      if (!item.IsScalar()) return Error(item, key, "entries must be strings");
      out->push_back(item.Scalar());
    }
    return Status::OK();
  }

  Status StringMapOf(const YAML::Node& node, const std::string& key, StringMap* out) const {
    if (!node) return Status::OK();
    if (!node.IsMap()) return Error(node, key, "must be a mapping, e.g. {session_timeout: 10s}");
    for (const auto& kv : node) {
      if (!kv.second.IsScalar()) return Error(kv.second, key + "." + kv.first.Scalar(), "must be a scalar");
      (*out)[kv.first.Scalar()] = kv.second.Scalar();
    }
    return Status::OK();
  }

 private:
  static constexpr int kDeepestRead = 3;  // the value of registry.options.KEY

  static std::string ShowNul(const std::string& text) {
    std::string shown;
    for (char c : text) shown += c == '\0' ? std::string("\\0") : std::string(1, c);
    return shown;
  }

  Status CheckNoNul(const YAML::Node& scalar, const std::string& path) const {
    if (scalar.Scalar().find('\0') == std::string::npos) return Status::OK();
    return Status::InvalidArgument(Where(source_, scalar.Mark()) + path + " holds a NUL byte (\\0); remove it");
  }

  const std::string& source_;
};

}  // namespace

Status ParseLogLevel(std::string_view text, kreg_log_level* out) {
  static const std::pair<const char*, kreg_log_level> kLevels[] = {
      {"trace", KREG_LOG_TRACE}, {"debug", KREG_LOG_DEBUG}, {"info", KREG_LOG_INFO},
      {"warn", KREG_LOG_WARN},   {"error", KREG_LOG_ERROR}, {"off", KREG_LOG_OFF}};
  for (const auto& [name, level] : kLevels) {
    if (text == name) {
      *out = level;
      return Status::OK();
    }
  }
  return Status::InvalidArgument("unknown log level \"" + std::string(text) +
                                 "\" (use trace, debug, info, warn, error or off)");
}

Status ParseConfig(std::string_view yaml, const std::string& source, Config* out) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::ParserException& e) {
    return Status::InvalidArgument(Where(source, e.mark) + "not valid YAML: " + e.msg);
  }
  Reader r(source);
  if (!root.IsMap()) return Status::InvalidArgument(source + ": must be a mapping with a `registry:` section");
  Status s = r.CheckKeysAndStrings(root, "");
  if (s.ok()) s = r.CheckKeys(root, "the top level", {"registry", "log"});
  if (!s.ok()) return s;

  Config c;
  c.source = source;
  YAML::Node reg = root["registry"];
  if (!reg) return Status::InvalidArgument(source + ": missing the `registry:` section");
  s = r.CheckKeys(reg, "registry",
                  {"plugin", "plugin_dir", "addrs", "timeout", "root", "username", "password_env", "options"});
  if (s.ok()) s = r.String(reg["plugin"], "registry.plugin", &c.plugin);
  if (s.ok()) s = r.String(reg["plugin_dir"], "registry.plugin_dir", &c.plugin_dir);
  if (s.ok()) s = r.StringList(reg["addrs"], "registry.addrs", &c.addrs);
  if (s.ok()) s = r.Duration(reg["timeout"], "registry.timeout", &c.timeout);
  if (s.ok()) s = r.String(reg["root"], "registry.root", &c.root);
  if (s.ok()) s = r.String(reg["username"], "registry.username", &c.username);
  if (s.ok()) s = r.String(reg["password_env"], "registry.password_env", &c.password_env);
  if (s.ok()) s = r.StringMapOf(reg["options"], "registry.options", &c.options);
  if (!s.ok()) return s;
  if (c.plugin.empty()) {
    return Status::InvalidArgument(Where(source, reg.Mark()) +
                                   "registry.plugin is missing: name a backend, e.g. `plugin: file`");
  }

  if (YAML::Node log = root["log"]) {
    s = r.CheckKeys(log, "log", {"level"});
    std::string level;
    if (s.ok()) s = r.String(log["level"], "log.level", &level);
    if (s.ok() && !level.empty()) {
      s = ParseLogLevel(level, &c.log_level);
      if (!s.ok()) s = r.Error(log["level"], "log.level", s.message());
    }
    if (!s.ok()) return s;
  }
  *out = std::move(c);
  return Status::OK();
}

Status LoadConfig(const std::string& path, Config* out) {
  // A directory reads as empty, and opening a FIFO waits for a writer.
  std::error_code ec;
  std::filesystem::file_type type = std::filesystem::status(path, ec).type();
  if (type != std::filesystem::file_type::regular && type != std::filesystem::file_type::not_found) {
    return Status::InvalidArgument(path + " is " + DescribeFileType(type) +
                                   ", not a config file; pass a YAML file with --config");
  }
  std::ifstream in(path);
  if (!in) {
    return Status::NotFound("cannot read config file " + path +
                            " (pass another with --config, or create it from configs/file.yaml)");
  }
  std::stringstream text;
  text << in.rdbuf();
  return ParseConfig(text.str(), path, out);
}

}  // namespace host
}  // namespace kreg
