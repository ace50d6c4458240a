// Starting and waiting for child processes: the one way spritesim starts another program, whether a simulation of
// its own (SimGrid runs once per process), a plotting script, make, or a captured build.
#pragma once

#include <csignal>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <sys/resource.h>
#include <sys/types.h>
#include <utility>
#include <vector>

namespace spritesim {

/// What to start and how.
struct ChildSpec {
  std::vector<std::string> argv;          ///< argv[0] is the program
  bool search_path = false;               ///< look argv[0] up on PATH (else it is a path)
  std::optional<std::vector<std::string>> env; ///< the child's environment; the caller's when absent
  std::string log_file;                   ///< stdout and stderr go there (created 0644); inherited when empty
  /// Descriptors that become the child's stdin and stdout (-1: inherited, or log_file's). They should be
  /// close-on-exec in the parent, so that no other child inherits them.
  int stdin_fd = -1;
  int stdout_fd = -1;
  bool append_log = false;                ///< append to log_file rather than truncate it
  /// In a process group of its own, so that whoever started it can signal everything it started in turn; it is
  /// sent SIGTERM should the parent die first.
  bool own_group = false;
  std::optional<sigset_t> mask;           ///< the child's signal mask; the caller's when absent
  std::vector<std::pair<int, struct sigaction>> signals; ///< dispositions set in the child before it runs
  /// A child of this executable (self_child): with a self runner set, the forked child runs the verb itself
  /// instead of exec'ing the program again.
  bool self = false;
};

/// How a child of this executable runs its arguments without exec: the `spritesim` entry point sets its verb
/// dispatch once. A fresh exec costs about 70 ms of CPU (the dynamic loader and SimGrid's and ns-3's libraries);
/// a reproduction starts 500 simulations. The forked child is a fresh process for SimGrid all the same, as long as
/// the parent never ran a simulation itself (the verbs that start simulation children never do).
void set_self_runner(std::function<int(const std::vector<std::string>&)> runner);

/// The program could not be started (exec failed); `error` is the errno.
struct ChildStartError : std::runtime_error {
  ChildStartError(const std::string& what, int err) : std::runtime_error(what), error(err) {}
  int error;
};

/// Starts a child; returns its pid. Throws ChildStartError when the program cannot be run.
pid_t start_child(const ChildSpec& spec);

/// Waits for a child (retrying on EINTR); returns its raw wait status.
int wait_child_status(pid_t pid);

/// A wait status as an exit code: the exit status, or 128 + signal when it was killed.
int exit_code(int wait_status);

/// When `argv` is a POSIX shell asked to run one simple command (`sh -c LINE`, or bash or dash), LINE being words of
/// characters no shell treats specially, the first word not a shell builtin, reserved word or assignment: that
/// command's words, which the shell would run as they are; otherwise nothing. Starting them directly saves the
/// shell's start, as GNU make does for such lines (the recording shim and the agent do it; if the program cannot be
/// started, they run the shell, which says why as it would have).
std::optional<std::vector<std::string>> simple_command(const std::vector<std::string>& argv);

/// Whether `argv` is a POSIX shell's `-c` line that only prints or does nothing: `echo`, `printf`, `true`, `false`
/// or `:` with arguments the shell may expand but no command substitution, redirection, pipe or second command
/// (none of `; & | < >`, a backquote, `$(` or a newline, quoted or not) — a make recipe's `@echo compiling $<`.
/// Such a line costs less run where it is than anywhere else.
bool prints_only(const std::vector<std::string>& argv);

/// User + system CPU seconds of a rusage (a command and the descendants it waited for).
double cpu_seconds(const struct rusage& usage);

/// Starts a child and waits for it; returns its exit code.
int run_child(const ChildSpec& spec);

/// Path of this executable (/proc/self/exe), to start a simulation of its own.
std::string self_exe();
/// The program `name` installed beside this executable (spritesim-rexec, spritesim-sim, ...).
std::string companion_executable(const std::string& name);
/// The strings as the null-terminated array of pointers exec and posix_spawn take (pointing into `v`, which must
/// outlive it).
std::vector<char*> c_strings(const std::vector<std::string>& v);

/// Replaces this process with `argv` (argv[0] a path; no search), its buffered output written first: the same
/// process, so the exit status, signals and resource usage are the caller's. Returns only by throwing
/// ChildStartError when the program cannot be started.
[[noreturn]] void exec_in_place(std::vector<std::string> argv);

/// A child of this executable: `spritesim ARGS`.
ChildSpec self_child(const std::vector<std::string>& args, const std::string& log_file);

/// The Python interpreter for the analysis scripts: Debian's, where python3-matplotlib lives, even when another
/// python3 comes first on PATH.
ChildSpec python_child(const std::vector<std::string>& args, const std::string& log_file);

} // namespace spritesim
