// The kernels of one CPU tier (tier.h), declared in namespace procpt::<tier>, and the SIMD helpers they share.
// Every kernel source includes this first and puts its code between PROCPT_TIER_BEGIN and PROCPT_TIER_END.
#pragma once
#include "common.h"

PROCPT_TIER_BEGIN

// C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C, all row-major.
void sgemm(bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
           int ldb, float beta, float* C, int ldc, bool parallel);
// Batched version: batch i uses A + i*strideA (strideA 0 broadcasts), same for B; C + i*M*N.
void sgemm_batched(int batch, bool ta, bool tb, int M, int N, int K, const float* A, long strideA,
                   const float* B, long strideB, float* C);

void binary(int op, float* out, const float* a, const float* b, int rank, const int* shape, const int* sa,
            const int* sb);
void unary(int op, float* out, const float* x, long n, float alpha);
void softmax_rows(float* out, const float* x, long rows, int cols);
void reduce_rows(int op, float* out, const float* x, long rows, long cols);
void sum_cols(float* out, const float* x, long rows, long cols);
void copy_block(float* dst, const int* dstShape, const int* dstBegin, const float* src, const int* srcShape,
                const int* srcBegin, const int* size, int rank);
void transpose(float* out, const float* x, int rank, const int* shape, const int* perm);
void gather_rows(float* out, const float* x, const int32_t* idx, long n, long rows, long cols);
void segment_sum_rows(float* out, const float* x, const int32_t* ids, long n, long segments, long cols);
// In-place AdamW over n elements; the gradient is g * gscale (the clip factor, 1 for none).
void adamw(float* p, const float* g, float* m, float* v, long n, float lr, float b1, float b2, float eps,
           float wd, float bc1, float bc2, float gscale);
// Sum of squares of `count` float arrays, accumulated in double over fixed 64Ki-element chunks (so the result
// does not depend on the thread count); the square of the global L2 norm.
double sum_squares(const float* const* arrays, const long* lengths, int count);

void attention_fwd(const float* qkv, float* out, float* probs, int B, int T, int H, int dh, float scale,
                   AttnDropout drop = {});
void attention_bwd(const float* dy, const float* qkv, const float* probs, float* dqkv, int B, int T, int H,
                   int dh, float scale, AttnDropout drop = {});
// The keep-mask (1 = kept, 0 = dropped) attention_fwd/bwd use for `drop`, as [B, H, T, T] (tests).
void attention_dropout_mask(AttnDropout drop, int B, int H, int T, float* out);

// Splitmix64 output at stream position `idx` of a stream whose state starts at `key` (= mix64(seed)).
inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
// Per-row dropout multipliers: mk[j] = 1/(1-rate) if (row_base + j) is kept else 0, for j < n.
struct DropRow {
  uint64_t key;
  uint32_t threshold;  // kept iff the hash's top 32 bits >= threshold = rate * 2^32
  float inv_keep;
  explicit DropRow(AttnDropout d)
      : key(mix64(d.seed + 0x9E3779B97F4A7C15ull)),
        threshold((uint32_t)std::min(4294967295.0, std::floor((double)d.rate * 4294967296.0 + 0.5))),
        inv_keep(1.0f / (1.0f - d.rate)) {}
  void fill(float* mk, uint64_t row_base, int n, float kept) const {
#pragma omp simd
    for (int j = 0; j < n; ++j) {
      const uint32_t r = (uint32_t)(mix64(key + (row_base + (uint64_t)j + 1) * 0x9E3779B97F4A7C15ull) >> 32);
      mk[j] = r >= threshold ? kept : 0.0f;
    }
  }
};
void layernorm_fwd(const float* x, const float* g, const float* b, float* y, float* mean, float* rstd,
                   long rows, int D, float eps);
void layernorm_bwd(const float* dy, const float* x, const float* g, const float* mean, const float* rstd,
                   float* dx, float* dg, float* db, long rows, int D);
void bias_gelu_fwd(const float* x, const float* bias, float* y, long rows, int F);
void bias_gelu_bwd(const float* dy, const float* x, const float* bias, float* dx, float* db, long rows, int F);
// Returns {weighted loss sum, weighted count of argmax-correct rows}; grads optional (nullptr = skip).
// max_chunk_rows > 0 caps the rows per chunk (tests); 0 picks chunks of up to 128 MiB of logits.
void masked_ce(const float* h, const float* w, const int32_t* targets, const float* weights, long N, int V,
               int d, double* loss_correct, float* dh, float* dw, long max_chunk_rows = 0);

#ifdef PROCPT_AVX2
// Cephes-style exp on 8 lanes (max rel. error ~2e-7 on [-87, 88]).
inline __m256 exp8(__m256 x) {
  const __m256 hi = _mm256_set1_ps(88.3762626647949f), lo = _mm256_set1_ps(-88.3762626647949f);
  x = _mm256_min_ps(_mm256_max_ps(x, lo), hi);
  __m256 fx = _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f));
  fx = _mm256_floor_ps(fx);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
  __m256 y = _mm256_set1_ps(1.9875691500E-4f);
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507E-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073E-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894E-2f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459E-1f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201E-1f));
  y = _mm256_fmadd_ps(y, _mm256_mul_ps(x, x), _mm256_add_ps(x, _mm256_set1_ps(1.0f)));
  __m256i e = _mm256_add_epi32(_mm256_cvttps_epi32(fx), _mm256_set1_epi32(127));
  e = _mm256_slli_epi32(e, 23);
  return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}
// tanh via exp(-2|x|), with an odd Taylor series near 0 so tiny inputs keep full relative precision.
inline __m256 tanh8(__m256 x) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 ax = _mm256_andnot_ps(sign, x);
  __m256 e = exp8(_mm256_mul_ps(ax, _mm256_set1_ps(-2.0f)));
  __m256 big = _mm256_div_ps(_mm256_sub_ps(_mm256_set1_ps(1.0f), e), _mm256_add_ps(_mm256_set1_ps(1.0f), e));
  __m256 x2 = _mm256_mul_ps(ax, ax);
  // ax*(1 - x2/3 + 2x2^2/15 - 17x2^3/315)
  __m256 p = _mm256_fmadd_ps(x2, _mm256_set1_ps(-17.0f / 315.0f), _mm256_set1_ps(2.0f / 15.0f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-1.0f / 3.0f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(1.0f));
  __m256 small = _mm256_mul_ps(p, ax);
  __m256 useSmall = _mm256_cmp_ps(ax, _mm256_set1_ps(0.04f), _CMP_LT_OQ);
  __m256 r = _mm256_blendv_ps(big, small, useSmall);
  return _mm256_or_ps(r, _mm256_and_ps(x, sign));
}
inline float hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
inline float hmax8(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
#endif

// Measured FP32 peak: FMA chains in registers on `threads` threads for `seconds`; the sum of each thread's best
// rate over ~1 ms slices, in FLOP/s. peak_lanes() is the vector width used (16 AVX-512, 8 AVX2, 1 scalar).
double peak_flops(int threads, double seconds);
int peak_lanes();

// exp/tanh over an array (vectorised where AVX2 is available).
void vexp(float* out, const float* x, long n);
void vtanh(float* out, const float* x, long n);

PROCPT_TIER_END
