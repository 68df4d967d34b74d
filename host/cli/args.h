// Command-line parsing for kregctl: a command, positional arguments and
// --flags (repeatable ones collect every value), in any order.
#ifndef KREG_HOST_CLI_ARGS_H_
#define KREG_HOST_CLI_ARGS_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "kreg/status.hpp"

namespace kreg {
namespace cli {

struct FlagSpec {
  std::set<std::string> with_value;  // --name VALUE (or --name=VALUE)
  std::set<std::string> switches;    // --name
};

class Args {
 public:
  Status Parse(const std::vector<std::string>& argv, const FlagSpec& spec);

  const std::vector<std::string>& positional() const { return positional_; }
  bool Has(const std::string& flag) const { return values_.count(flag) != 0 || switches_.count(flag) != 0; }
  // The last value given for `flag`, or `fallback`.
  std::string Get(const std::string& flag, const std::string& fallback = "") const;
  std::vector<std::string> GetAll(const std::string& flag) const;
  // Fails with a usage error naming the flag when it is absent.
  Status Require(const std::string& flag, const std::string& command, std::string* out) const;

 private:
  std::vector<std::string> positional_;
  std::map<std::string, std::vector<std::string>> values_;
  std::set<std::string> switches_;
};

}  // namespace cli
}  // namespace kreg

#endif  // KREG_HOST_CLI_ARGS_H_
