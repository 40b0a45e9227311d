/* The calls that start a program: each hands the new program its place in
 * the process tree as SOCKFAULT_TREE in the environment it gets, whether
 * the program passed that environment (execve, execle, execvpe, fexecve,
 * posix_spawn) or libc took environ (execv, execvp, execl, execlp,
 * posix_spawnp with environ). posix_spawn numbers its child on the
 * parent's side; an exec hands on the caller's own place (exec in place)
 * or a vfork child's. */
#include <alloca.h>
#include <errno.h>
#include <spawn.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "proc.h"
#include "proctree.h"
#include "relay.h"
#include "real.h"
#include "settings.h"
#include "slow.h"

extern char **environ;

#define VAR SF_TREE_VAR
#define VAR_LEN (sizeof VAR - 1)

/* SOCKFAULT_TREE=VALUE for the program about to start, in `entry`. 0 when
 * the environment is best left as it is: the library is inert, or the
 * caller is a child the library did not see being made (a raw clone). */
static int entry_for(const char *child_id, char entry[VAR_LEN + 1 + SF_TREE_MAX])
{
	if (!sf_init_ready() || sf_config.inert)
		return 0;
	memcpy(entry, VAR "=", VAR_LEN + 1);
	char *v = entry + VAR_LEN + 1;
	if (child_id) {
		strcpy(v, child_id);
		return 1;
	}
	return sf_proctree_exec_value(v);
}

#define ON_STACK 256

/* A vfork child maps nothing (the memory is its parent's): a large
 * environment is copied on its stack, up to this many entries. */
#define VFORK_ROOM 8192

static size_t env_len(char *const *envp)
{
	size_t n = 0;
	while (envp && envp[n])
		n++;
	return n;
}

/* envp with `entry` in place of its own SOCKFAULT_TREE, or added: in room
 * (ON_STACK + 2 pointers, or the vfork child's larger room), else in *heap
 * (mapped: exec may be called from a signal handler; the caller unmaps it,
 * *heap_size bytes), else envp as it was. As it was, too: an environment
 * the library does not travel in (no LD_PRELOAD, no SOCKFAULT_ variable: a
 * program that cleared it gets nothing of ours), a value the program chose
 * itself, and in a vfork child one larger than VFORK_ROOM. */
static char *const *with_entry(char *const *envp, char *entry, char **room, size_t room_n, char ***heap,
			       size_t *heap_size)
{
	size_t n = 0;
	int ours = 0;
	*heap = NULL;
	if (!envp)
		return envp;
	for (; envp[n]; n++) {
		if (strncmp(envp[n], VAR "=", VAR_LEN + 1) == 0 &&
		    strcmp(envp[n] + VAR_LEN + 1, sf_proctree_given()) != 0)
			return envp;
		ours |= strncmp(envp[n], "LD_PRELOAD=", 11) == 0 || strncmp(envp[n], "SOCKFAULT_", 10) == 0;
	}
	if (!ours)
		return envp;
	char **out = room;
	if (n > room_n) {
		if (syscall(SYS_getpid) != sf_proc_pid)
			return envp;
		*heap_size = (n + 2) * sizeof *out;
		void *m = mmap(NULL, *heap_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			return envp;
		out = *heap = m;
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(envp[i], VAR "=", VAR_LEN + 1) != 0)
			out[k++] = envp[i];
	out[k++] = entry;
	out[k] = NULL;
	return out;
}

/* Runs `call` with the environment to give the new program in `env`. */
#define WITH_TREE_ENV(child_id, envp, call)                                                            \
	do {                                                                                           \
		char entry_[VAR_LEN + 1 + SF_TREE_MAX];                                                \
		char *small_[ON_STACK + 2], **room_ = small_, **heap_ = NULL;                          \
		size_t heap_size_ = 0, room_n_ = ON_STACK;                                             \
		char *const *env = (envp);                                                             \
		if (entry_for((child_id), entry_)) {                                                   \
			size_t n_ = env_len(env);                                                      \
			if (n_ > ON_STACK && n_ <= VFORK_ROOM && syscall(SYS_getpid) != sf_proc_pid) { \
				room_ = alloca((n_ + 2) * sizeof *room_);                              \
				room_n_ = n_;                                                          \
			}                                                                              \
			env = with_entry(env, entry_, room_, room_n_, &heap_, &heap_size_);            \
		}                                                                                      \
		call;                                                                                  \
		if (heap_) {                                                                           \
			int e_ = errno;                                                                \
			munmap(heap_, heap_size_);                                                     \
			errno = e_;                                                                    \
		}                                                                                      \
	} while (0)

static int real_execve(const char *path, char *const argv[], char *const envp[])
{
	sf_execve_fn f = sf_sym_execve();
	if (f)
		return f(path, argv, envp);
	return (int)syscall(SYS_execve, path, argv, envp);
}

SF_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	int r;
	sf_relay_before_exec();
	WITH_TREE_ENV(NULL, envp, r = real_execve(path, argv, env));
	return r;
}

SF_EXPORT int execv(const char *path, char *const argv[])
{
	return execve(path, argv, environ);
}

#ifdef HAVE_EXECVPE
static int real_execvpe(const char *file, char *const argv[], char *const envp[])
{
	sf_execvpe_fn f = sf_sym_execvpe();
	if (f)
		return f(file, argv, envp);
	errno = ENOSYS;
	return -1;
}

SF_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	int r;
	sf_relay_before_exec();
	WITH_TREE_ENV(NULL, envp, r = real_execvpe(file, argv, env));
	return r;
}

SF_EXPORT int execvp(const char *file, char *const argv[])
{
	return execvpe(file, argv, environ);
}
#endif

#ifdef HAVE_FEXECVE
SF_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	int r;
	sf_fexecve_fn f = sf_sym_fexecve();
	if (!f) {
		errno = ENOSYS;
		return -1;
	}
	sf_relay_before_exec();
	WITH_TREE_ENV(NULL, envp, r = f(fd, argv, env));
	return r;
}
#endif

/* execl, execlp, execle: the arguments as an array. */
#define GATHER_ARGS(first, ap, argv, envp_out) \
	size_t argc_ = 1;                      \
	va_start(ap, first);                   \
	while (va_arg(ap, char *))             \
		argc_++;                       \
	va_end(ap);                            \
	char *argv[argc_ + 1];                 \
	argv[0] = (char *)(first);             \
	va_start(ap, first);                   \
	for (size_t i_ = 1; i_ <= argc_; i_++) \
		argv[i_] = va_arg(ap, char *); \
	envp_out;                              \
	va_end(ap)

SF_EXPORT int execl(const char *path, const char *arg, ...)
{
	va_list ap;
	GATHER_ARGS(arg, ap, argv, (void)0);
	return execve(path, argv, environ);
}

SF_EXPORT int execle(const char *path, const char *arg, ...)
{
	va_list ap;
	char *const *envp;
	GATHER_ARGS(arg, ap, argv, envp = va_arg(ap, char *const *));
	return execve(path, argv, envp);
}

#ifdef HAVE_EXECVPE
SF_EXPORT int execlp(const char *file, const char *arg, ...)
{
	va_list ap;
	GATHER_ARGS(arg, ap, argv, (void)0);
	return execvpe(file, argv, environ);
}
#endif

/* posix_spawn: the parent numbers the child and hands it its place. */
static int spawn(sf_posix_spawn_fn f, pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
		 const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	if (!f)
		return ENOSYS;
	char id[SF_TREE_MAX], *child = NULL;
	if (sf_init_ready()) {
		sf_proctree_new_child(id);
		child = id;
	}
	int r;
	WITH_TREE_ENV(child, envp, r = f(pid, path, fa, attr, argv, env));
	return r;
}

SF_EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
			  const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	return spawn(sf_sym_posix_spawn(), pid, path, fa, attr, argv, envp);
}

SF_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
			   const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	return spawn((sf_posix_spawn_fn)sf_sym_posix_spawnp(), pid, file, fa, attr, argv, envp);
}
