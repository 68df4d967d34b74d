// Server processes of the fixtures (ZooKeeper's JVMs, etcd's members).
// Unlike Process (process.h), a server is started with PR_SET_PDEATHSIG, so
// it is killed when the thread that started it dies -- no server outlives
// a test, even one that crashes -- and its stdout and stderr are appended
// to one log file that survives restarts. Start servers from the test's
// main thread: the death signal is tied to the forking thread.
//
// The functions take the pid by pointer and set it to -1 once the process
// is reaped, so a fixture keeps `pid > 0` as "running".
#ifndef KREG_TESTS_SUPPORT_SERVER_PROCESS_H_
#define KREG_TESTS_SUPPORT_SERVER_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace kreg {
namespace testing {

// Forks and execs argv[0] (a path) with argv and the environment as it is,
// stdin from /dev/null. Returns the pid, or -1 when fork fails; a failed
// exec shows as an exit (127) of the child.
pid_t StartServerProcess(const std::vector<std::string>& argv, const std::string& log_path);

// SIGCONT (a stopped process handles no SIGTERM), SIGTERM, then SIGKILL
// when it has not exited within `grace`; reaped. A no-op when *pid <= 0.
void StopServerProcess(pid_t* pid, std::chrono::milliseconds grace);

// SIGKILL; reaped. A no-op when *pid <= 0.
void KillServerProcess(pid_t* pid);

// True when the process has exited (it is reaped then) or was not running.
bool ServerProcessExited(pid_t* pid);

// The last `bytes` of the file at `path` ("" when there is none).
std::string FileTail(const std::string& path, size_t bytes);

}  // namespace testing
}  // namespace kreg

#endif  // KREG_TESTS_SUPPORT_SERVER_PROCESS_H_
