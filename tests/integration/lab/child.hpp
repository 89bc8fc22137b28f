#pragma once
// What runIn() and Process::spawn() share around fork: argv for execvp, the netns fd,
// and the child's side up to exec. Internal to xvrrp_lab.
#include <string>
#include <vector>

namespace xvrrp::lab::detail {

// argv as execvp wants it (null-terminated); the strings must outlive the result.
std::vector<char*> execArgv(const std::vector<std::string>& argv);

// O_RDONLY|O_CLOEXEC descriptor of a netns file, or -1 for "" (stay in the caller's
// namespace). Throws std::system_error naming open(PATH).
int openNetnsFd(const std::string& netnsPath);

// The forked child: its own process group, setns(nsFd) when >= 0 (exit 126 on failure),
// stdin from /dev/null, stdout/stderr to outFd/errFd, every other descriptor closed at exec,
// execvp (exit 127 on failure).
// Async-signal-safe calls only: the parent may be threaded.
[[noreturn]] void execChild(int nsFd, const std::vector<char*>& argv, int outFd, int errFd);

}  // namespace xvrrp::lab::detail
