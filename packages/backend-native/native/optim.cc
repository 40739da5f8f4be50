// Optimizer passes over every parameter: the in-place AdamW update and the squared global gradient norm.
#include <algorithm>
#include <utility>
#include <vector>

#include "kernels.h"

PROCPT_TIER_BEGIN

namespace {
constexpr long kGrain = 1 << 14;  // elements below which threads cost more than they give
// Elements per partial sum of sum_squares. Fixed (not derived from the thread count), so the chunking and the
// order in which partial sums are added never change: the same gradients always give the same bits.
constexpr long kChunk = 1 << 16;

// Σ x² of one span in double. Each float squared is exact in double (24-bit mantissas → 48 bits), so only the
// additions round; several accumulators keep the dependency chains short.
double span_sum_squares(const float* x, long n) {
  long i = 0;
  double s = 0.0;
#ifdef PROCPT_AVX2
  __m256d a0 = _mm256_setzero_pd(), a1 = _mm256_setzero_pd(), a2 = _mm256_setzero_pd(),
          a3 = _mm256_setzero_pd();
  for (; i + 16 <= n; i += 16) {
    const __m256d x0 = _mm256_cvtps_pd(_mm_loadu_ps(x + i));
    const __m256d x1 = _mm256_cvtps_pd(_mm_loadu_ps(x + i + 4));
    const __m256d x2 = _mm256_cvtps_pd(_mm_loadu_ps(x + i + 8));
    const __m256d x3 = _mm256_cvtps_pd(_mm_loadu_ps(x + i + 12));
    a0 = _mm256_fmadd_pd(x0, x0, a0);
    a1 = _mm256_fmadd_pd(x1, x1, a1);
    a2 = _mm256_fmadd_pd(x2, x2, a2);
    a3 = _mm256_fmadd_pd(x3, x3, a3);
  }
  alignas(32) double lanes[4];
  _mm256_store_pd(lanes, _mm256_add_pd(_mm256_add_pd(a0, a1), _mm256_add_pd(a2, a3)));
  s = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
#else
  double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
  for (; i + 4 <= n; i += 4) {
    const double x0 = x[i], x1 = x[i + 1], x2 = x[i + 2], x3 = x[i + 3];
    s0 += x0 * x0;
    s1 += x1 * x1;
    s2 += x2 * x2;
    s3 += x3 * x3;
  }
  s = (s0 + s1) + (s2 + s3);
#endif
  for (; i < n; ++i) {
    const double xi = x[i];
    s += xi * xi;
  }
  return s;
}
}  // namespace

void adamw(float* p, const float* g, float* m, float* v, long n, float lr, float b1, float b2, float eps, float wd,
           float bc1, float bc2, float gscale) {
  const float decay = 1.0f - lr * wd;
  const float step = lr / bc1;
  const float isq = 1.0f / std::sqrt(bc2);
#pragma omp parallel for schedule(static) if (n > kGrain)
  for (long i = 0; i < n; ++i) {
    // g·scale rounded to float: the same value as the separate float32 multiply it replaces (exact for scale 1)
    const float gi = g[i] * gscale;
    const float mi = b1 * m[i] + (1.0f - b1) * gi;
    const float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] * decay - step * mi / (std::sqrt(vi) * isq + eps);
  }
}

double sum_squares(const float* const* arrays, const long* lengths, int count) {
  std::vector<std::pair<const float*, long>> chunks;
  long total = 0;
  for (int a = 0; a < count; ++a) {
    for (long off = 0; off < lengths[a]; off += kChunk)
      chunks.emplace_back(arrays[a] + off, std::min(kChunk, lengths[a] - off));
    total += lengths[a];
  }
  const long nc = (long)chunks.size();
  std::vector<double> partial(nc);
#pragma omp parallel for schedule(static) if (total > kGrain)
  for (long c = 0; c < nc; ++c) partial[c] = span_sum_squares(chunks[c].first, chunks[c].second);
  double sum = 0.0;
  for (const double s : partial) sum += s;
  return sum;
}

PROCPT_TIER_END
