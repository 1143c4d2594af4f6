// LD_PRELOAD library behind scripts/region_profile.py. libgomp starts every `omp parallel` region
// through GOMP_parallel; this wrapper times each call (the region's wall time, from the start of its
// team to the end of its barrier) and the serial time since the previous region ended, and at exit
// writes one line per region to $REGION_PROFILE_OUT:
//   <object file> <region function's offset in it, hex> <region µs> <gap before it µs>
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef void (*RegionFn)(void*);
typedef void (*GompParallel)(RegionFn, void*, unsigned, unsigned);

enum { kCapacity = 1 << 21 };  // regions kept (the last ones are dropped past this)

struct Record {
  RegionFn fn;
  double region_us, gap_us;
};

static struct Record* records;
static long count;
static double last_end_us;

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec * 1e-3;
}

static void write_records(void) {
  const char* path = getenv("REGION_PROFILE_OUT");
  FILE* out = path ? fopen(path, "w") : NULL;
  if (!out) {
    fprintf(stderr, "region_profile: cannot write REGION_PROFILE_OUT=%s\n", path ? path : "(unset)");
    return;
  }
  for (long i = 0; i < count && i < kCapacity; ++i) {
    Dl_info info;
    const int found = dladdr((void*)records[i].fn, &info);
    const char* file = found && info.dli_fname ? info.dli_fname : "?";
    const unsigned long offset = found ? (unsigned long)records[i].fn - (unsigned long)info.dli_fbase : 0;
    fprintf(out, "%s %lx %.3f %.3f\n", file, offset, records[i].region_us, records[i].gap_us);
  }
  fclose(out);
}

void GOMP_parallel(RegionFn fn, void* data, unsigned threads, unsigned flags) {
  static GompParallel real;
  if (!real) {
    real = (GompParallel)dlsym(RTLD_NEXT, "GOMP_parallel");
    records = malloc(sizeof(struct Record) * kCapacity);
    if (!real || !records) abort();
    atexit(write_records);
  }
  const double start = now_us();
  real(fn, data, threads, flags);
  const double end = now_us();
  if (count < kCapacity)
    records[count] = (struct Record){fn, end - start, last_end_us > 0 ? start - last_end_us : 0};
  ++count;
  last_end_us = end;
}
