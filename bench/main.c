/*  main.c - cchc-bench: load generators and measurements (bench/). */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

int main(int argc, char **argv)
{
    char exe[PATH_MAX] = ".";
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    exe[n > 0 ? n : 1] = 0;
    const char *dir = n > 0 ? dirname(exe) : ".";
    if (argc >= 2 && !strcmp(argv[1], "ingest"))
        return bench_ingest(argc - 2, argv + 2, dir);
    if (argc >= 2 && !strcmp(argv[1], "notify"))
        return bench_notify(argc - 2, argv + 2);
    if (argc >= 2 && !strcmp(argv[1], "scoring"))
        return bench_scoring(argc - 2, argv + 2, dir);
    if (argc >= 2 && !strcmp(argv[1], "memlat"))
        return bench_memlat(argc - 2, argv + 2);
    fprintf(stderr,
            "usage: cchc-bench ingest --clients N --inflight K --updates M [--rate R]\n"
            "       cchc-bench scoring [--units U] [--tasks-per-unit T] [--units-per-ward P] [--events N]\n"
            "       cchc-bench notify [--tasks N] [--tasks-per-ward K]\n"
            "       cchc-bench memlat [--mb N]\n");
    return 2;
}
