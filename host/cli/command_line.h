// kregctl's command line: every command and flag is declared once, in
// command_line.cc, on CLI11; `kregctl --help` and `kregctl COMMAND --help`
// print the usage generated from that declaration.
#ifndef KREG_HOST_CLI_COMMAND_LINE_H_
#define KREG_HOST_CLI_COMMAND_LINE_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "kreg/status.hpp"
#include "kreg/types.hpp"

namespace kreg {
namespace cli {

// What a command line asks for, its values parsed and checked. Only the
// fields of `command` are set; the rest keep their defaults.
struct CommandLine {
  // Set when --help was given: the usage to print (then nothing else is
  // set and nothing is checked).
  std::string help;

  std::string command;  // "register", "deregister", "get", "list", ...
  std::string config_path = "configs/file.yaml";
  bool json = false;

  // register (all of it), deregister (service_name and id).
  Instance instance;
  RegisterOptions register_options;
  bool hold = false;

  std::string service;  // get SERVICE

  // watch: 0 is no limit.
  int64_t count = 0;
  std::chrono::milliseconds timeout{0};

  Property property;  // set-property
};

// Parses `args` (argv without the program name). A usage error (unknown
// command or flag, a flag of another command, a missing or malformed
// value) is an InvalidArgument whose message is the one line to print
// after "kregctl: ".
Status ParseCommandLine(const std::vector<std::string>& args, CommandLine* out);

}  // namespace cli
}  // namespace kreg

#endif  // KREG_HOST_CLI_COMMAND_LINE_H_
