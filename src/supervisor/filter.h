/* The seccomp filter a supervised program runs under (sockfault(1), THE
 * SUPERVISOR): which system calls reach the supervisor, decided from argument
 * values alone, since a filter cannot look at a descriptor's type. */
#ifndef SF_SV_FILTER_H
#define SF_SV_FILTER_H

/* Install the filter in the calling process (which must have set
 * no_new_privs) and return the listener, or -errno. Socket calls on
 * descriptors at or above `threshold` go to the supervisor, as do socket and
 * socketpair; io_uring_setup fails with ENOSYS; everything else runs. */
int sf_sv_filter_install(unsigned threshold);

#endif
