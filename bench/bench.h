/*  bench.h - the benchmarks of cchc-bench; each prints its figures and, as
    its last line, one JSON object. Benchmarks are never timed tests. */
#ifndef CCHC_BENCH_H
#define CCHC_BENCH_H

//  `cchc-bench ingest ...`; bin_dir is the directory of cchc-bench (to find
//  the service binaries of the same build). Returns the exit code.
int bench_ingest(int argc, char **argv, const char *bin_dir);

//  `cchc-bench notify ...`: notify's decisions, timer heap and outbox in
//  process. Returns the exit code.
int bench_notify(int argc, char **argv);

//  `cchc-bench scoring ...`: the cost of an event in scoring, a replay, and a
//  restart of the cchc-scoring of the same build. Returns the exit code.
int bench_scoring(int argc, char **argv, const char *bin_dir);

#endif
