// fork + exec with limits, in C because Swift cannot run code between fork and exec.
// Between fork and execve the child only calls async-signal-safe functions: the parent may have threads.
#define _GNU_SOURCE
#include "csandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

// --- child side -------------------------------------------------------------------------------

static void set_limit(int resource, long long value) {
    if (value <= 0) return;
    struct rlimit limit = { (rlim_t)value, (rlim_t)value };
    setrlimit(resource, &limit);
}

static void report_and_exit(int error_fd, int error) {
    ssize_t ignored = write(error_fd, &error, sizeof error);
    (void)ignored;
    _exit(127);
}

static void run_child(const char *path, char *const argv[], char *const envp[], const char *cwd,
                      const csb_limits *limits, int in_read, int out_write, int err_write, int error_fd, int inherited_fd) {
    // Dispositions set to "ignore" (Swift ignores SIGPIPE) and blocked signals survive execve: reset them.
    struct sigaction default_action;
    memset(&default_action, 0, sizeof default_action);
    default_action.sa_handler = SIG_DFL;
    for (int signal_number = 1; signal_number < NSIG; signal_number++) {
        if (signal_number != SIGKILL && signal_number != SIGSTOP) sigaction(signal_number, &default_action, NULL);
    }
    sigset_t empty;
    sigemptyset(&empty);
    sigprocmask(SIG_SETMASK, &empty, NULL);

    if (setpgid(0, 0) != 0) report_and_exit(error_fd, errno);
    // Into the sandbox's cgroups first ("0" is the writer itself), while still privileged to.
    int cgroups[2] = { limits->cgroup_procs_fd, limits->cgroup_procs_fd_2 };
    for (int i = 0; i < 2; i++) {
        if (cgroups[i] >= 0 && write(cgroups[i], "0", 1) != 1) report_and_exit(error_fd, errno);
    }
    // Out of the way of 0-4 first, so the moves below cannot overwrite it.
    if (inherited_fd >= 0 && (inherited_fd = fcntl(inherited_fd, F_DUPFD_CLOEXEC, 16)) < 0) report_and_exit(error_fd, errno);
    if (dup2(in_read, 0) < 0 || dup2(out_write, 1) < 0 || dup2(err_write, 2) < 0) report_and_exit(error_fd, errno);
    // Keep only 0-2, the error pipe (moved to 3) and the inherited descriptor (4); every other one is closed.
    if (error_fd != 3) {
        if (dup3(error_fd, 3, O_CLOEXEC) < 0) report_and_exit(error_fd, errno);
        error_fd = 3;
    }
    if (inherited_fd >= 0 && dup2(inherited_fd, 4) < 0) report_and_exit(error_fd, errno);
    syscall(SYS_close_range, inherited_fd >= 0 ? 5U : 4U, ~0U, 0U);

    set_limit(RLIMIT_CPU, limits->cpu_seconds);
    set_limit(RLIMIT_AS, limits->address_space_bytes);
    set_limit(RLIMIT_FSIZE, limits->file_size_bytes);
    set_limit(RLIMIT_NOFILE, limits->open_files);
    set_limit(RLIMIT_NPROC, limits->processes);
    struct rlimit no_core = { 0, 0 };
    setrlimit(RLIMIT_CORE, &no_core);

    // Raw system calls: glibc's setuid family signals every thread it believes the process has, and after
    // the raw clone below its thread list still names the parent's threads, so the wrappers would wait forever.
    if (limits->gid >= 0) {
        if (syscall(SYS_setgroups, 0, NULL) != 0 || syscall(SYS_setresgid, (gid_t)limits->gid, (gid_t)limits->gid, (gid_t)limits->gid) != 0) {
            report_and_exit(error_fd, errno);
        }
    }
    if (limits->uid >= 0 && syscall(SYS_setresuid, (uid_t)limits->uid, (uid_t)limits->uid, (uid_t)limits->uid) != 0) report_and_exit(error_fd, errno);
    if (cwd != NULL && chdir(cwd) != 0) report_and_exit(error_fd, errno);
    execve(path, argv, envp);
    report_and_exit(error_fd, errno);
}

// --- parent side ------------------------------------------------------------------------------

static void close_pair(int pair[2]) {
    if (pair[0] >= 0) close(pair[0]);
    if (pair[1] >= 0) close(pair[1]);
}

int csb_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
              const csb_limits *limits, int inherited_fd, pid_t *pid, int *stdin_fd, int *stdout_fd, int *stderr_fd) {
    int in_pipe[2] = { -1, -1 }, out_pipe[2] = { -1, -1 }, err_pipe[2] = { -1, -1 }, exec_pipe[2] = { -1, -1 };
    // O_CLOEXEC everywhere: a spawn on another thread must not inherit these descriptors.
    if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0 ||
        pipe2(err_pipe, O_CLOEXEC) != 0 || pipe2(exec_pipe, O_CLOEXEC) != 0) {
        int error = errno;
        close_pair(in_pipe); close_pair(out_pipe); close_pair(err_pipe); close_pair(exec_pipe);
        return -error;
    }
    // A raw clone instead of fork(): fork() runs pthread_atfork handlers, and OpenBLAS's handler shuts its
    // worker threads down, hanging any sgemm another thread of this process is running at that moment.
    pid_t child = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
    if (child < 0) {
        int error = errno;
        close_pair(in_pipe); close_pair(out_pipe); close_pair(err_pipe); close_pair(exec_pipe);
        return -error;
    }
    if (child == 0) {
        run_child(path, argv, envp, cwd, limits, in_pipe[0], out_pipe[1], err_pipe[1], exec_pipe[1], inherited_fd);
    }
    setpgid(child, child);  // also done in the child; doing both closes the race with an early kill
    close(in_pipe[0]); close(out_pipe[1]); close(err_pipe[1]); close(exec_pipe[1]);

    int child_error = 0;
    ssize_t got;
    do { got = read(exec_pipe[0], &child_error, sizeof child_error); } while (got < 0 && errno == EINTR);
    close(exec_pipe[0]);
    if (got == (ssize_t)sizeof child_error) {
        int status;
        while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
        close(in_pipe[1]); close(out_pipe[0]); close(err_pipe[0]);
        return -child_error;
    }
    int parent_fds[3] = { in_pipe[1], out_pipe[0], err_pipe[0] };
    for (int i = 0; i < 3; i++) fcntl(parent_fds[i], F_SETFL, fcntl(parent_fds[i], F_GETFL) | O_NONBLOCK);
    *pid = child;
    *stdin_fd = in_pipe[1];
    *stdout_fd = out_pipe[0];
    *stderr_fd = err_pipe[0];
    return 0;
}

int csb_pipe_cloexec(int ends[2]) {
    return pipe2(ends, O_CLOEXEC) == 0 ? 0 : -errno;
}

int csb_kill_and_reap(pid_t pid) {
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return -errno;
    }
    return status;
}

int csb_try_reap(pid_t pid, int *status) {
    pid_t done;
    do { done = waitpid(pid, status, WNOHANG); } while (done < 0 && errno == EINTR);
    if (done < 0) return -errno;
    return done == pid ? 1 : 0;
}

int csb_exited(int status) { return WIFEXITED(status); }
int csb_exit_code(int status) { return WEXITSTATUS(status); }
int csb_signaled(int status) { return WIFSIGNALED(status); }
int csb_term_signal(int status) { return WTERMSIG(status); }
