// Shared declarations of the procpt native kernels: standard headers, OpenMP helpers, the kernel table that
// dispatch.cc fills from one CPU tier at load time, and the tier macros (tier.h). The kernels themselves are
// declared in kernels.h, inside their tier's namespace.
#pragma once
#include <algorithm>
#include <cfloat>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>
#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include "tier.h"

// The prebuilt binaries (binding.gyp's procpt_prebuilt=1) bind libm's expf, logf and log to their original symbol
// versions instead of the ones glibc 2.27 / 2.29 added, so that they load on any glibc from 2.17 (RHEL 8's 2.28
// included). glibc keeps the old versions as the same functions behind a wrapper that only adds SVID error
// handling: the same results (bench/kernel-digest.mjs), no measurable cost.
#if defined(PROCPT_GLIBC_COMPAT) && defined(__GLIBC__)
#if defined(__x86_64__)
__asm__(".symver expf,expf@GLIBC_2.2.5");
__asm__(".symver logf,logf@GLIBC_2.2.5");
__asm__(".symver log,log@GLIBC_2.2.5");
#elif defined(__aarch64__)
__asm__(".symver expf,expf@GLIBC_2.17");
__asm__(".symver logf,logf@GLIBC_2.17");
__asm__(".symver log,log@GLIBC_2.17");
#endif
#endif

namespace procpt {

inline int num_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}
inline int thread_id() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

// Attention dropout: rate 0 is no dropout (the exact pre-dropout kernels). Otherwise probability (b, h, i, j) is
// kept with probability 1 - rate (and scaled by 1 / (1 - rate)) by a stateless hash of (seed, flat index), so the
// backward regenerates the mask instead of storing it, and the mask does not depend on the thread count.
struct AttnDropout {
  float rate = 0.0f;
  uint64_t seed = 0;
};

// One CPU tier's kernels (see kernels.h for what each computes). Every tier fills one (table.cc); dispatch.cc
// picks the best the CPU supports.
struct Kernels {
  const char* name;         // "avx512", "avx2" or "base"
  const char* description;  // e.g. "AVX2/FMA (x86-64-v3)"
  void (*sgemm)(bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
                int ldb, float beta, float* C, int ldc, bool parallel);
  void (*sgemm_batched)(int batch, bool ta, bool tb, int M, int N, int K, const float* A, long strideA,
                        const float* B, long strideB, float* C);
  void (*binary)(int op, float* out, const float* a, const float* b, int rank, const int* shape, const int* sa,
                 const int* sb);
  void (*unary)(int op, float* out, const float* x, long n, float alpha);
  void (*softmax_rows)(float* out, const float* x, long rows, int cols);
  void (*reduce_rows)(int op, float* out, const float* x, long rows, long cols);
  void (*sum_cols)(float* out, const float* x, long rows, long cols);
  void (*copy_block)(float* dst, const int* dstShape, const int* dstBegin, const float* src, const int* srcShape,
                     const int* srcBegin, const int* size, int rank);
  void (*transpose)(float* out, const float* x, int rank, const int* shape, const int* perm);
  void (*gather_rows)(float* out, const float* x, const int32_t* idx, long n, long rows, long cols);
  void (*segment_sum_rows)(float* out, const float* x, const int32_t* ids, long n, long segments, long cols);
  void (*adamw)(float* p, const float* g, float* m, float* v, long n, float lr, float b1, float b2, float eps,
                float wd, float bc1, float bc2, float gscale);
  double (*sum_squares)(const float* const* arrays, const long* lengths, int count);
  void (*attention_fwd)(const float* qkv, float* out, float* probs, int B, int T, int H, int dh, float scale,
                        AttnDropout drop);
  void (*attention_bwd)(const float* dy, const float* qkv, const float* probs, float* dqkv, int B, int T, int H,
                        int dh, float scale, AttnDropout drop);
  void (*attention_dropout_mask)(AttnDropout drop, int B, int H, int T, float* out);
  void (*layernorm_fwd)(const float* x, const float* g, const float* b, float* y, float* mean, float* rstd,
                        long rows, int D, float eps);
  void (*layernorm_bwd)(const float* dy, const float* x, const float* g, const float* mean, const float* rstd,
                        float* dx, float* dg, float* db, long rows, int D);
  void (*bias_gelu_fwd)(const float* x, const float* bias, float* y, long rows, int F);
  void (*bias_gelu_bwd)(const float* dy, const float* x, const float* bias, float* dx, float* db, long rows, int F);
  void (*masked_ce)(const float* h, const float* w, const int32_t* targets, const float* weights, long N, int V,
                    int d, double* loss_correct, float* dh, float* dw, long max_chunk_rows);
  double (*peak_flops)(int threads, double seconds);
  int (*peak_lanes)();
};

// The tier in use (dispatch.cc): the best one the CPU supports unless select_tier() chose another.
const Kernels& kernels();
// Switches to tier `name` ("avx512", "avx2", "base"); false (and no change) if unknown, not compiled in or not
// supported by this CPU. Not while kernels run (the addon's callers are synchronous, so never).
bool select_tier(const char* name);
// The tiers this binary has and this CPU runs, best first; writes up to `max` names, returns the count.
int supported_tiers(const char** names, int max);

}  // namespace procpt
