#include "args.h"

namespace kreg {
namespace cli {

Status Args::Parse(const std::vector<std::string>& argv, const FlagSpec& spec) {
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (arg.rfind("--", 0) != 0 || arg == "--") {
      positional_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::string value;
    bool inline_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      inline_value = true;
    }
    if (spec.switches.count(name) != 0) {
      if (inline_value) return Status::InvalidArgument("--" + name + " takes no value");
      switches_.insert(name);
    } else if (spec.with_value.count(name) != 0) {
      if (!inline_value) {
        if (i + 1 >= argv.size()) return Status::InvalidArgument("--" + name + " needs a value");
        value = argv[++i];
      }
      values_[name].push_back(value);
    } else {
      return Status::InvalidArgument("unknown flag --" + name + " (see kregctl --help)");
    }
  }
  return Status::OK();
}

std::string Args::Get(const std::string& flag, const std::string& fallback) const {
  auto it = values_.find(flag);
  return it == values_.end() ? fallback : it->second.back();
}

std::vector<std::string> Args::GetAll(const std::string& flag) const {
  auto it = values_.find(flag);
  return it == values_.end() ? std::vector<std::string>() : it->second;
}

Status Args::Require(const std::string& flag, const std::string& command, std::string* out) const {
  auto it = values_.find(flag);
  if (it == values_.end()) {
    return Status::InvalidArgument("kregctl " + command + " needs --" + flag + " (see kregctl --help)");
  }
  *out = it->second.back();
  return Status::OK();
}

}  // namespace cli
}  // namespace kreg
