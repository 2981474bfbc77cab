// The only place that forks: start a program with resource limits and an unprivileged uid, kill and reap it.
#ifndef CSANDBOX_H
#define CSANDBOX_H

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Limits applied in the forked child before execve, so they bind everything the program starts.
/// A value <= 0 leaves that limit unchanged (core dumps are always disabled).
typedef struct {
    long long cpu_seconds;
    long long address_space_bytes;
    long long file_size_bytes;
    long long open_files;
    long long processes;
    /// Switch to this uid/gid (with no supplementary groups) before execve; < 0 keeps the caller's.
    long long uid;
    long long gid;
    /// `cgroup.procs` files (or -1) the child writes itself into before anything else runs, so the budgets of
    /// its cgroups bind every process it starts.
    int cgroup_procs_fd;
    int cgroup_procs_fd_2;
} csb_limits;

/// Forks and execs `path` in a new process group with `argv`/`envp`, working directory `cwd`,
/// and pipes for stdin, stdout and stderr (returned non-blocking on the parent side, close-on-exec).
/// Returns 0 and fills `pid` and the fds, or a negative errno; an exec failure in the child (for
/// example a missing program) is reported here as that errno, not as a child exit status.
/// `inherited_fd` (or -1) is the one other descriptor the program gets, as fd 4 (bubblewrap's --seccomp program).
int csb_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
              const csb_limits *limits, int inherited_fd, pid_t *pid, int *stdin_fd, int *stdout_fd, int *stderr_fd);

/// A pipe with both ends close-on-exec (no other spawn can inherit it); 0 or a negative errno.
int csb_pipe_cloexec(int ends[2]);

/// SIGKILLs the process group of `pid` and `pid` itself, then waits for it; returns the wait status.
int csb_kill_and_reap(pid_t pid);

/// Waits for `pid` without blocking: returns 1 and sets `status` when it has ended, 0 when it still runs,
/// a negative errno on error.
int csb_try_reap(pid_t pid, int *status);

/// Decoders for wait statuses (macros in C, so Swift cannot call them directly).
int csb_exited(int status);
int csb_exit_code(int status);
int csb_signaled(int status);
int csb_term_signal(int status);

#ifdef __cplusplus
}
#endif

#endif
