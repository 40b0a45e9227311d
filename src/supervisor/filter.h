/* The seccomp filter a supervised program runs under (sockfault(1), THE
 * SUPERVISOR): which system calls reach the supervisor, decided from argument
 * values alone, since a filter cannot look at a descriptor's type. */
#ifndef SF_SV_FILTER_H
#define SF_SV_FILTER_H

/* Install the filter in the calling process (which must have set
 * no_new_privs) and return the listener, or -errno. The socket calls behind
 * the operations in `ops` (the library's, sf_opmask), on descriptors at or
 * above `threshold` or among the `nlow` numbers in `low` (the sockets the
 * program inherits), go to the supervisor (data calls only below `quiet`),
 * and with them the calls that make
 * and copy or receive sockets (socket, socketpair, accept, dup, recvmsg...),
 * which keep every socket at or above the threshold; sendfile and splice
 * when the rules watch data; io_uring_setup fails with ENOSYS;
 * everything else runs. With no operation, nothing is trapped. */
int sf_sv_filter_install(unsigned threshold, unsigned quiet, unsigned ops, const int *low, unsigned nlow);

#endif
