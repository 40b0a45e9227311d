/* The table of ghosts (fault/ghost.c): bounded, the oldest let go first, let
 * go after their time, and never a descriptor the program has taken over.
 * ghost.c is included, to reach its table; the ghosts here are pipes of
 * the test's (a ghost proper needs CAP_NET_ADMIN: tests/actions/dead-close.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <unistd.h>

#include "../../src/preload/fault/ghost.c"

/* The process owns its state (no vfork child here). */
int sf_proc_owns_state(void)
{
	return 1;
}

static int is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* A descriptor of the "library's", as sf_ghost_raise keeps one. */
static int add(uint64_t now)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	close(p[1]);
	struct ghost *g = find_slot(now);
	assert_non_null(g);
	keep(g, p[0], now);
	return p[0];
}

static void clear(void)
{
	for (int i = 0; i < GHOSTS; i++)
		if (ghosts[i].state == FULL) {
			close(ghosts[i].fd);
			ghosts[i].state = EMPTY;
		}
}

static void oldest_goes_first(void **state)
{
	(void)state;
	int fds[GHOSTS + 1];
	for (int i = 0; i < GHOSTS; i++)
		fds[i] = add(1000 + (uint64_t)i);
	for (int i = 0; i < GHOSTS; i++)
		assert_true(is_open(fds[i]));
	fds[GHOSTS] = add(5000);
	assert_false(is_open(fds[0]));
	for (int i = 1; i <= GHOSTS; i++)
		assert_true(is_open(fds[i]));
	clear();
}

static void let_go_after_their_time(void **state)
{
	(void)state;
	int old = add(1);
	int young = add(GHOST_LIFE_NS);
	add(GHOST_LIFE_NS + 1);
	assert_false(is_open(old));
	assert_true(is_open(young));
	clear();
}

/* The program closed the ghost where the library could not see, and its
 * number is a file of the program's now: the library must not close it. */
static void a_number_taken_over_is_left(void **state)
{
	(void)state;
	int fd = add(1);
	int p[2];
	assert_int_equal(pipe(p), 0);
	close(fd);
	assert_int_equal(dup2(p[1], fd), fd);
	add(GHOST_LIFE_NS + 1);
	assert_true(is_open(fd));
	for (int i = 0; i < GHOSTS; i++)
		assert_false(ghosts[i].state == FULL && ghosts[i].fd == fd);
	close(fd);
	close(p[0]);
	close(p[1]);
	clear();
}

/* The program closed the ghost's number through the library (close,
 * close_range, dup2 over it): forgotten, even if the same file came back. */
static void a_number_the_program_closed_is_forgotten(void **state)
{
	(void)state;
	int fd = add(1);
	int keep_fd = add(2);
	int dupd = dup(fd);
	sf_ghost_fd_range_lost((unsigned)fd, (unsigned)fd);
	close(fd);
	assert_int_equal(dup2(dupd, fd), fd);
	add(GHOST_LIFE_NS + 10);
	assert_true(is_open(fd));
	assert_false(is_open(keep_fd));
	close(fd);
	close(dupd);
	clear();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(oldest_goes_first),
		cmocka_unit_test(let_go_after_their_time),
		cmocka_unit_test(a_number_taken_over_is_left),
		cmocka_unit_test(a_number_the_program_closed_is_forgotten),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
