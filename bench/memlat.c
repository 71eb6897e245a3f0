/*  memlat.c - `cchc-bench memlat`: the machine's memory latency, the floor
    under scoring's time per event at millions of tasks.

    A chain of dependent loads over a random cyclic permutation (Sattolo's
    algorithm: one cycle through every slot) of a buffer of each size: each
    load's address is the previous load's value, so the loads cannot
    overlap and each costs a full miss once the buffer exceeds the caches.
    Each size is run with the buffer advised as transparent huge pages and
    without. Prints ns per load; last line one JSON object. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bench.h"

#define LOADS 2000000
#define HUGE  (2u << 20)

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

//  ns per dependent load over a buffer of mb MB; -1 if it cannot be allocated.
static double chase(size_t mb, bool huge)
{
    size_t n = mb * (1u << 20) / sizeof(size_t);
    size_t *a = NULL;
    if (n < 2 || posix_memalign((void **)&a, HUGE, n * sizeof(size_t)) != 0)
        return -1;
    (void)madvise(a, n * sizeof(size_t), huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
    for (size_t i = 0; i < n; i++)
        a[i] = i;
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    for (size_t i = n - 1; i > 0; i--) { //  Sattolo: j < i, a single cycle
        size_t j = (size_t)(xorshift(&seed) % i);
        size_t t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
    size_t p = 0;
    for (int i = 0; i < LOADS / 10; i++) //  warm-up: page faults and TLB
        p = a[p];
    int64_t t0 = bench_now_ns();
    for (int i = 0; i < LOADS; i++)
        p = a[p];
    double ns = (double)(bench_now_ns() - t0) / LOADS;
    if (p == n) //  never: keeps the chain from being optimised away
        puts("");
    free(a);
    return ns;
}

int bench_memlat(int argc, char **argv)
{
    size_t sizes[] = {1, 4, 16, 64, 256, 600};
    size_t nsizes = sizeof(sizes) / sizeof(sizes[0]);
    if (argc >= 2 && !strcmp(argv[0], "--mb")) {
        sizes[0] = (size_t)atol(argv[1]);
        nsizes = 1;
    } else if (argc > 0) {
        fprintf(stderr, "usage: cchc-bench memlat [--mb N]\n");
        return 2;
    }
    double small_ns[2] = {-1, -1}, large_ns[2] = {-1, -1};
    for (size_t i = 0; i < nsizes; i++) {
        double plain = chase(sizes[i], false), huge = chase(sizes[i], true);
        printf("memlat: %zu MB: %.1f ns per dependent load (4 KB pages), %.1f ns (huge pages advised)\n",
               sizes[i], plain, huge);
        if (i == 0)
            small_ns[0] = plain, small_ns[1] = huge;
        large_ns[0] = plain, large_ns[1] = huge;
    }
    printf("{\"bench\":\"memlat\",\"small_mb\":%zu,\"small_ns\":%.1f,\"large_mb\":%zu,\"large_ns\":%.1f,"
           "\"large_huge_ns\":%.1f,\"small_huge_ns\":%.1f}\n",
           sizes[0], small_ns[0], sizes[nsizes - 1], large_ns[0], large_ns[1], small_ns[1]);
    return 0;
}
