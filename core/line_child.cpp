// A child process spoken to in lines over pipes (see line_child.hpp). Both pipe ends kept here are close-on-exec
// (no other child inherits them) and non-blocking: every wait is a poll() with what is left of the deadline, so a
// child that neither reads nor writes costs its timeout and never a hang.
#include "core/line_child.hpp"

#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

namespace spritesim {

namespace {

double monotonic_s()
{
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

// Waits until `fd` is ready for `events` or `deadline` (monotonic seconds) passes; false on the deadline.
bool wait_ready(int fd, short events, double deadline)
{
  for (;;) {
    double left = deadline - monotonic_s();
    if (left <= 0)
      return false;
    pollfd p{fd, events, 0};
    int n = poll(&p, 1, static_cast<int>(std::ceil(std::min(left, 3600.0) * 1000)));
    if (n > 0)
      return true; // ready, or an error or hang-up that the next read or write reports
    if (n < 0 && errno != EINTR)
      throw std::runtime_error(fmt::format("poll failed: {}", std::strerror(errno)));
  }
}

void close_fd(int& fd)
{
  if (fd >= 0)
    ::close(fd);
  fd = -1;
}

} // namespace

std::string describe_wait_status(int status)
{
  if (WIFSIGNALED(status))
    return fmt::format("was killed by signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
  return fmt::format("exited with status {}", WEXITSTATUS(status));
}

LineChild::LineChild(ChildSpec spec)
{
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0)
    throw std::runtime_error(fmt::format("pipe failed: {}", std::strerror(errno)));
  if (pipe2(out, O_CLOEXEC) != 0) {
    int err = errno;
    ::close(in[0]), ::close(in[1]);
    throw std::runtime_error(fmt::format("pipe failed: {}", std::strerror(err)));
  }
  spec.stdin_fd = in[0];
  spec.stdout_fd = out[1];
  spec.own_group = true;
  try {
    pid_ = start_child(spec);
  } catch (...) {
    for (int fd : {in[0], in[1], out[0], out[1]})
      ::close(fd);
    throw;
  }
  ::close(in[0]);
  ::close(out[1]);
  to_child_ = in[1];
  from_child_ = out[0];
  for (int fd : {to_child_, from_child_})
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

LineChild::~LineChild() { stop(0); }

LineChild::Io LineChild::write_line(const std::string& line, double timeout_s)
{
  if (to_child_ < 0)
    return Io::END;
  const std::string text = line + "\n";
  const double deadline = monotonic_s() + timeout_s;
  // A child gone raises SIGPIPE in the writing thread: blocked here, it becomes EPIPE, and the signal it left
  // pending is taken back so that it never reaches the rest of the program.
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  Io result = Io::OK;
  for (size_t done = 0; done < text.size();) {
    ssize_t n = ::write(to_child_, text.data() + done, text.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n < 0 && errno == EAGAIN) {
      if (!wait_ready(to_child_, POLLOUT, deadline)) {
        result = Io::TIMEOUT;
        break;
      }
    } else if (n < 0 && errno != EINTR) {
      result = Io::END;
      if (errno == EPIPE) {
        timespec zero{0, 0};
        sigtimedwait(&pipe_set, nullptr, &zero);
      }
      break;
    }
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return result;
}

LineChild::Io LineChild::read_line(std::string& line, double timeout_s)
{
  const double deadline = monotonic_s() + timeout_s;
  for (;;) {
    if (size_t nl = buffer_.find('\n'); nl != std::string::npos) {
      line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return Io::OK;
    }
    if (from_child_ < 0)
      return Io::END;
    char chunk[65536];
    ssize_t n = ::read(from_child_, chunk, sizeof chunk);
    if (n > 0)
      buffer_.append(chunk, static_cast<size_t>(n));
    else if (n == 0)
      close_fd(from_child_);
    else if (errno == EAGAIN) {
      if (!wait_ready(from_child_, POLLIN, deadline))
        return Io::TIMEOUT;
    } else if (errno != EINTR)
      close_fd(from_child_);
  }
}

std::string LineChild::stop(double grace_s)
{
  if (pid_ < 0)
    return ended_;
  close_fd(to_child_); // end of its input: a well-behaved child exits now
  close_fd(from_child_);
  const double deadline = monotonic_s() + grace_s;
  siginfo_t info{};
  // WNOWAIT keeps the exited leader unreaped, so its process group id still names its group when it is killed.
  while (waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == 0 &&
         monotonic_s() < deadline) {
    timespec pause{0, 5'000'000};
    nanosleep(&pause, nullptr);
  }
  kill(-pid_, SIGKILL); // the child if still there, and whatever it started
  ended_ = describe_wait_status(wait_child_status(pid_));
  pid_ = -1;
  return ended_;
}

} // namespace spritesim
