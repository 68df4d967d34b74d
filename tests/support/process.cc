#include "support/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "support/temp_dir.h"

namespace kreg {
namespace testing {

namespace {
std::atomic<int> next_process_number{0};
}

Process::Process(const std::vector<std::string>& argv, const std::string& output_dir,
                 const std::map<std::string, std::string>& env, const std::string& cwd) {
  int n = next_process_number.fetch_add(1);
  stdout_path_ = output_dir + "/proc" + std::to_string(n) + ".out";
  stderr_path_ = output_dir + "/proc" + std::to_string(n) + ".err";
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // The child's environment is made here: after a fork only the forking
  // thread goes on, and a lock another one held (the allocator's, the
  // environment's) is held forever, so the child must not allocate.
  std::vector<std::string> assignments;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    if (env.count(entry.substr(0, entry.find('='))) == 0) assignments.push_back(entry);
  }
  for (const auto& [name, value] : env) assignments.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (std::string& a : assignments) envp.push_back(a.data());
  envp.push_back(nullptr);
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // Only async-signal-safe calls until exec.
    int out = open(stdout_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int in = open("/dev/null", O_RDONLY);
    if (out < 0 || err < 0 || in < 0) _exit(126);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(args[0], args.data(), envp.data());
    _exit(127);
  }
}

Process::~Process() {
  if (pid_ > 0 && status_ < 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
  }
}

void Process::Signal(int signo) const { kill(pid_, signo); }

bool Process::running() {
  if (status_ >= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) != pid_) return true;
  status_ = status;
  return false;
}

int Process::Wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (WIFEXITED(status_)) return WEXITSTATUS(status_);
  if (WIFSIGNALED(status_)) return 128 + WTERMSIG(status_);
  return -1;
}

std::string Process::Stdout() const { return ReadFile(stdout_path_); }
std::string Process::Stderr() const { return ReadFile(stderr_path_); }

RunResult RunProcess(const std::vector<std::string>& argv, const std::string& output_dir,
              const std::map<std::string, std::string>& env, std::chrono::milliseconds timeout,
              const std::string& cwd) {
  Process p(argv, output_dir, env, cwd);
  int code = p.Wait(timeout);
  if (code < 0) {
    p.Signal(SIGKILL);
    p.Wait();
  }
  return RunResult{code, p.Stdout(), p.Stderr()};
}

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace testing
}  // namespace kreg
