// Measured single-precision peak: independent FMA chains that live in registers (no loads, no stores), so the
// only limit is how many vector FMAs the cores retire per cycle. MFU is reported against this number.
#include <algorithm>
#include <chrono>
#include <vector>

#include "kernels.h"

PROCPT_TIER_BEGIN
namespace {

// 12 independent accumulators: FMA latency 4 cycles x 2 pipes needs >= 8 chains; 12 leaves slack and still fits
// the 16 ymm registers of AVX2 with room for the two multiplicands.
constexpr int CHAINS = 12;
constexpr long INNER = 1 << 14;  // FMAs per chain per timing check

// Runs `reps` x INNER iterations of CHAINS FMA chains; returns FLOPs done and a value the optimiser can't drop.
#if defined(PROCPT_AVX512)
constexpr int LANES = 16;
double fma_block(long reps, float* sink) {
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  __m512 c[CHAINS];
  for (int i = 0; i < CHAINS; ++i) c[i] = _mm512_set1_ps((float)i);
  for (long r = 0; r < reps; ++r)
    for (long k = 0; k < INNER; ++k)
#pragma GCC unroll 12
      for (int i = 0; i < CHAINS; ++i) c[i] = _mm512_fmadd_ps(c[i], a, b);
  __m512 s = c[0];
  for (int i = 1; i < CHAINS; ++i) s = _mm512_add_ps(s, c[i]);
  *sink += _mm512_reduce_add_ps(s);
  return 2.0 * LANES * CHAINS * INNER * (double)reps;
}
#elif defined(PROCPT_AVX2)
constexpr int LANES = 8;
double fma_block(long reps, float* sink) {
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  __m256 c[CHAINS];
  for (int i = 0; i < CHAINS; ++i) c[i] = _mm256_set1_ps((float)i);
  for (long r = 0; r < reps; ++r)
    for (long k = 0; k < INNER; ++k)
#pragma GCC unroll 12
      for (int i = 0; i < CHAINS; ++i) c[i] = _mm256_fmadd_ps(c[i], a, b);
  __m256 s = c[0];
  for (int i = 1; i < CHAINS; ++i) s = _mm256_add_ps(s, c[i]);
  *sink += hsum8(s);
  return 2.0 * LANES * CHAINS * INNER * (double)reps;
}
#else
constexpr int LANES = 1;
double fma_block(long reps, float* sink) {
  float c[CHAINS];
  for (int i = 0; i < CHAINS; ++i) c[i] = (float)i;
  for (long r = 0; r < reps; ++r)
    for (long k = 0; k < INNER; ++k)
      for (int i = 0; i < CHAINS; ++i) c[i] = std::fma(c[i], 0.999999f, 1e-7f);
  for (int i = 0; i < CHAINS; ++i) *sink += c[i];
  return 2.0 * CHAINS * INNER * (double)reps;
}
#endif

// One thread: the best FLOP/s over timing slices of ~1 ms within `seconds` (the max rejects slices in which the
// OS took the core away: a peak is what the core can do, not what a shared machine happened to give).
double best_rate(double seconds, float* sink) {
  using clock = std::chrono::steady_clock;
  const auto end = clock::now() + std::chrono::duration<double>(seconds);
  long reps = 1;
  double best = 0;
  for (;;) {
    const auto t0 = clock::now();
    const double flops = fma_block(reps, sink);
    const double dt = std::chrono::duration<double>(clock::now() - t0).count();
    if (dt > 0) best = std::max(best, flops / dt);
    if (dt < 1e-3) reps *= 2;
    if (clock::now() >= end) return best;
  }
}

}  // namespace

int peak_lanes() { return LANES; }

double peak_flops(int threads, double seconds) {
  std::vector<double> rates(std::max(1, threads), 0.0);
  std::vector<float> sinks(rates.size(), 0.0f);
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    // Start together so every slice overlaps the others: the sum of per-thread rates is then a joint rate.
#pragma omp barrier
    rates[t] = best_rate(seconds, &sinks[t]);
  }
#else
  rates[0] = best_rate(seconds, &sinks[0]);
#endif
  double total = 0;
  for (size_t i = 0; i < rates.size(); ++i) total += rates[i] + 0.0 * sinks[i];
  return total;
}

PROCPT_TIER_END
