/* The process tree's bookkeeping: this process's place, the children it
 * has numbered, and the place of a vfork child, which shares this memory
 * (sockfault-rules(5), "Process trees"). spawn.c hands the places on. */
#include "proctree.h"

#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "enter.h"
#include "ghost.h"
#include "proc.h"
#include "real.h"
#include "settings.h"

static char self_id[SF_TREE_MAX] = "1";
/* The value this program was started with ("" if none): an environment
 * that holds another one was given it by the program itself (a nested
 * sockfault run, a test's own choice), and is left as it is. */
static char given[SF_TREE_MAX];
uint64_t sf_proctree_self_key;
static uint32_t children;      /* children numbered so far */
static SF_TLS uint32_t fork_n; /* the number this thread's fork gave its child */
/* Set on the parent's side just before vfork: the child's number, and the
 * parent's pid, so that the child (which shares this memory and may not
 * change it) knows its place. */
static SF_TLS uint32_t vfork_n;
static SF_TLS int vfork_parent;

void sf_proctree_init(void)
{
#ifdef HAVE_SECURE_GETENV
	const char *v = secure_getenv(SF_TREE_VAR);
#else
	const char *v = getenv(SF_TREE_VAR);
#endif
	uint32_t n = 0;
	given[0] = '\0';
	if (v && strlen(v) < sizeof given)
		strcpy(given, v);
	if (!v || !sf_tree_parse(v, self_id, &n))
		strcpy(self_id, "1");
	SF_STORE(&children, n);
	sf_proctree_self_key = sf_tree_key(self_id);
}

/* A vfork child of this thread, whose number the parent took? */
static int in_vfork_child(int pid)
{
	return pid != sf_proc_pid && vfork_n && vfork_parent == sf_proc_pid;
}

void sf_proctree_text(char out[SF_TREE_MAX])
{
	if (in_vfork_child((int)syscall(SYS_getpid)))
		sf_tree_child(self_id, vfork_n, out);
	else
		strcpy(out, self_id);
}

const char *sf_proctree_given(void)
{
	return given;
}

int sf_proctree_exec_value(char out[SF_TREE_MAX])
{
	int pid = (int)syscall(SYS_getpid);
	if (pid == sf_proc_pid)
		sf_tree_format(self_id, SF_LOAD(&children), out);
	else if (in_vfork_child(pid))
		sf_tree_child(self_id, vfork_n, out);
	else
		return 0;
	return 1;
}

void sf_proctree_new_child(char out[SF_TREE_MAX])
{
	sf_ghost_forked();
	sf_tree_child(self_id, SF_ADD(&children, 1) + 1, out);
}

void sf_proctree_before_fork(void)
{
	sf_ghost_forked();
	fork_n = SF_ADD(&children, 1) + 1;
}

void sf_proctree_child(void)
{
	sf_ghost_forked();
	char id[SF_TREE_MAX];
	sf_tree_child(self_id, fork_n, id);
	strcpy(self_id, id);
	SF_STORE(&children, 0);
	sf_proctree_self_key = sf_tree_key(self_id);
}

/* vfork cannot be wrapped in C: its child returns through the caller's
 * frame and the parent then resumes in it. A few instructions number the
 * child on the parent's side, then jump to libc's vfork with the stack as
 * the program left it. */
__attribute__((used)) void *sf_proctree_vfork(void);
__attribute__((used)) void *sf_proctree_vfork(void)
{
	if (sf_init_done) {
		sf_ghost_forked();
		vfork_n = SF_ADD(&children, 1) + 1;
		vfork_parent = sf_proc_pid;
	}
	sf_vfork_fn f = sf_sym_vfork();
	return f ? (void *)f : (void *)fork;
}

#if defined(__x86_64__)
__asm__(".text\n"
	".globl vfork\n"
	".type vfork,@function\n"
	"vfork:\n"
	"\tsub $8, %rsp\n"
	"\tcall sf_proctree_vfork@PLT\n"
	"\tadd $8, %rsp\n"
	"\tjmp *%rax\n"
	".size vfork, .-vfork\n");
#elif defined(__aarch64__)
__asm__(".text\n"
	".globl vfork\n"
	".type vfork,%function\n"
	"vfork:\n"
	"\tstp x29, x30, [sp, #-16]!\n"
	"\tmov x29, sp\n"
	"\tbl sf_proctree_vfork\n"
	"\tldp x29, x30, [sp], #16\n"
	"\tbr x0\n"
	".size vfork, .-vfork\n");
#endif
