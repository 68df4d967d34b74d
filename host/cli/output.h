// How kregctl prints results: human-readable text, or with --json one JSON
// object per line (the format of kreg/json_format.hpp plus versions).
#ifndef KREG_HOST_CLI_OUTPUT_H_
#define KREG_HOST_CLI_OUTPUT_H_

#include <string>
#include <vector>

#include "kreg/types.hpp"

namespace kreg {
namespace cli {

class Output {
 public:
  explicit Output(bool json) : json_(json) {}

  // A line such as "registered demo/web-1", or {"result":"registered",...}.
  void Done(const std::string& verb, const std::string& service, const std::string& id) const;
  void PrintService(const Service& service) const;
  void PrintServiceList(const std::vector<Service>& services) const;
  void PrintEvent(const WatchEvent& event) const;
  void PrintType(const std::string& type) const;
  void PrintPlugin(const std::string& path, const std::string& name, const std::string& abi,
                   const std::string& description, const std::string& error) const;

 private:
  bool json_;
};

}  // namespace cli
}  // namespace kreg

#endif  // KREG_HOST_CLI_OUTPUT_H_
