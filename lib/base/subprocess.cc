#include "lib/base/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace mailflow::firewall {

namespace {

struct Fd {
  int fd = -1;
  ~Fd() { Close(); }
  void Close() {
    if (fd >= 0) close(fd);
    fd = -1;
  }
};

}  // namespace

CommandResult RunCommand(const std::vector<std::string>& argv,
                         Deadline deadline, size_t max_output) {
  CommandResult r;
  if (argv.empty()) {
    r.spawn_error = "empty argv";
    return r;
  }
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    r.spawn_error = std::strerror(errno);
    return r;
  }
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    r.spawn_error = std::strerror(errno);
    close(out_pipe[0]);
    close(out_pipe[1]);
    return r;
  }
  Fd out_r{out_pipe[0]}, out_w{out_pipe[1]}, err_r{err_pipe[0]},
      err_w{err_pipe[1]};

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out_w.fd, 1);
  posix_spawn_file_actions_adddup2(&fa, err_w.fd, 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  static char kPath[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
  static char kLang[] = "LC_ALL=C";
  char* env[] = {kPath, kLang, nullptr};

  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0].c_str(), &fa, &attr, args.data(), env);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  out_w.Close();
  err_w.Close();
  if (rc != 0) {
    r.spawn_error = std::strerror(rc);
    return r;
  }
  r.started = true;

  char buf[65536];
  while (out_r.fd >= 0 || err_r.fd >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline.Remaining());
    if (left.count() <= 0) {
      r.timed_out = true;
      break;
    }
    pollfd pfd[2];
    int n = 0;
    int idx_out = -1, idx_err = -1;
    if (out_r.fd >= 0) {
      idx_out = n;
      pfd[n++] = {out_r.fd, POLLIN, 0};
    }
    if (err_r.fd >= 0) {
      idx_err = n;
      pfd[n++] = {err_r.fd, POLLIN, 0};
    }
    int timeout =
        left.count() > 1000 ? 1000 : static_cast<int>(left.count()) + 1;
    int pr = poll(pfd, n, timeout);
    if (pr < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int k = 0; k < n; ++k) {
      if (!(pfd[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      Fd& fd = k == idx_out ? out_r : err_r;
      std::string& sink = k == idx_out ? r.out : r.err;
      ssize_t got = read(fd.fd, buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        fd.Close();
        continue;
      }
      size_t room = max_output > sink.size() ? max_output - sink.size() : 0;
      if (static_cast<size_t>(got) > room) r.truncated = true;
      sink.append(buf, std::min(room, static_cast<size_t>(got)));
    }
    (void)idx_err;
  }
  if (r.timed_out) kill(pid, SIGKILL);
  int status = 0;
  while (true) {
    // After EOF the child normally exits at once; bound the wait anyway.
    pid_t w = waitpid(pid, &status, r.timed_out ? 0 : WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) break;
    if (w == 0) {
      if (deadline.Expired()) {
        r.timed_out = true;
        kill(pid, SIGKILL);
        continue;
      }
      usleep(1000);
      // Switch to a blocking wait once killed.
    }
  }
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  return r;
}

}  // namespace mailflow::firewall
