// Child processes for end-to-end tests (kregctl, plugin builds): started
// with fork/exec, output captured to files, and always reaped — a Process
// still running when destroyed is killed (SIGKILL) and waited for.
#ifndef KREG_TESTS_SUPPORT_PROCESS_H_
#define KREG_TESTS_SUPPORT_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace kreg {
namespace testing {

class Process {
 public:
  // Starts argv[0] (a path) with argv; `env` entries are added to the
  // environment; stdout and stderr go to files in `output_dir`.
  Process(const std::vector<std::string>& argv, const std::string& output_dir,
          const std::map<std::string, std::string>& env = {}, const std::string& cwd = "");
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int signo) const;
  // Waits for the exit; returns the exit code, or 128+signal, or -1 when
  // `timeout` passed first (the process is left running).
  int Wait(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  bool running();

  std::string Stdout() const;
  std::string Stderr() const;

 private:
  pid_t pid_ = -1;
  int status_ = -1;
  std::string stdout_path_;
  std::string stderr_path_;
};

struct RunResult {
  int exit_code;
  std::string out;
  std::string err;
};

// Runs to completion (killed after `timeout`, exit_code -1 then).
RunResult RunProcess(const std::vector<std::string>& argv, const std::string& output_dir,
              const std::map<std::string, std::string>& env = {},
              std::chrono::milliseconds timeout = std::chrono::seconds(120), const std::string& cwd = "");

// Polls `condition` every 20 ms until it holds or `timeout` passes.
bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

}  // namespace testing
}  // namespace kreg

#endif  // KREG_TESTS_SUPPORT_PROCESS_H_
