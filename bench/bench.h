/*  bench.h - the benchmarks of cchc-bench; each prints its figures and, as
    its last line, one JSON object. Benchmarks are never timed tests. */
#ifndef CCHC_BENCH_H
#define CCHC_BENCH_H

#include <stdint.h>
#include <sys/types.h>

//  `cchc-bench ingest ...`; bin_dir is the directory of cchc-bench (to find
//  the service binaries of the same build). Returns the exit code.
int bench_ingest(int argc, char **argv, const char *bin_dir);

//  `cchc-bench notify ...`: notify's decisions, timer heap and outbox in
//  process. Returns the exit code.
int bench_notify(int argc, char **argv);

//  `cchc-bench scoring ...`: the cost of an event in scoring, a replay, and a
//  restart of the cchc-scoring of the same build. Returns the exit code.
int bench_scoring(int argc, char **argv, const char *bin_dir);

//  `cchc-bench memlat [--mb N]`: ns per dependent load over buffers of
//  growing size (memlat.c). Returns the exit code.
int bench_memlat(int argc, char **argv);

//  util.c: shared helpers.

//  CLOCK_MONOTONIC in ns; the calling thread's CPU time in ns (on a shared
//  machine the in-process figures are CPU time, with wall time beside).
int64_t bench_now_ns(void);
int64_t bench_thread_cpu_ns(void);

//  A free loopback port below the kernel's range for outgoing connections
//  (32768-60999 on Linux: a port from that range can be taken by a
//  service's own outgoing connection before the service that should bind
//  it starts), chosen at random in 20000-32767 and checked by binding it.
//  Returns -1 when none was found.
int bench_free_port(void);

//  A size field of /proc/<pid>/status ("VmRSS:", "VmHWM:") in MB; pid 0:
//  this process. -1 when unreadable.
double bench_status_mb(pid_t pid, const char *field);

//  CPU time (user + system, s) a process used so far; -1 if unknown.
double bench_cpu_s(pid_t pid);

//  qsort comparator for int64_t.
int bench_cmp_i64(const void *a, const void *b);

#endif
