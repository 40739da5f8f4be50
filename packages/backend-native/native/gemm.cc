// Cache-blocked SGEMM (BLIS-style packing + a 6x16 AVX2/FMA micro-kernel), threaded with OpenMP.
#include <algorithm>
#include <vector>

#include "kernels.h"

PROCPT_TIER_BEGIN
namespace {

constexpr int MR = 6;
constexpr int NR = 16;
constexpr int KC = 256;
constexpr int MC = 120;   // multiple of MR; A block MC*KC*4 = 120 KiB stays in L2
constexpr int NC = 2048;  // B panel KC*NC*4 = 2 MiB

// Packs op(A)[i0:i0+mc, k0:k0+kc] into MR-row slivers (k-major inside a sliver), zero-padding rows.
void pack_a(bool ta, const float* A, int lda, int i0, int k0, int mc, int kc, float* buf) {
  for (int s = 0; s < mc; s += MR) {
    const int rows = std::min(MR, mc - s);
    for (int k = 0; k < kc; ++k) {
      float* dst = buf + (long)s * kc + (long)k * MR;
      for (int r = 0; r < rows; ++r) {
        const long i = i0 + s + r, kk = k0 + k;
        dst[r] = ta ? A[kk * lda + i] : A[i * lda + kk];
      }
      for (int r = rows; r < MR; ++r) dst[r] = 0.0f;
    }
  }
}

// Packs op(B)[k0:k0+kc, j0:j0+nc] into NR-column slivers (k-major), zero-padding columns.
void pack_b(bool tb, const float* B, int ldb, int k0, int j0, int kc, int nc, float* buf) {
  for (int s = 0; s < nc; s += NR) {
    const int cols = std::min(NR, nc - s);
    float* base = buf + (long)s * kc;
    if (!tb) {
      for (int k = 0; k < kc; ++k) {
        const float* src = B + (long)(k0 + k) * ldb + j0 + s;
        float* dst = base + (long)k * NR;
        int c = 0;
        for (; c < cols; ++c) dst[c] = src[c];
        for (; c < NR; ++c) dst[c] = 0.0f;
      }
    } else {
      for (int c = 0; c < NR; ++c) {
        if (c < cols) {
          const float* src = B + (long)(j0 + s + c) * ldb + k0;
          for (int k = 0; k < kc; ++k) base[(long)k * NR + c] = src[k];
        } else {
          for (int k = 0; k < kc; ++k) base[(long)k * NR + c] = 0.0f;
        }
      }
    }
  }
}

// C[mr, nr] += alpha * Ap(sliver) * Bp(sliver).
// overwrite: store alpha*AB instead of accumulating (first K block of a beta == 0 product; C is not read).
void micro(int kc, const float* Ap, const float* Bp, float* C, int ldc, float alpha, int mr, int nr, bool overwrite) {
#ifdef PROCPT_AVX2
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(),
         c11 = _mm256_setzero_ps(), c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(),
         c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps(), c40 = _mm256_setzero_ps(),
         c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (int k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_loadu_ps(Bp), b1 = _mm256_loadu_ps(Bp + 8);
    __m256 a = _mm256_broadcast_ss(Ap);
    c00 = _mm256_fmadd_ps(a, b0, c00); c01 = _mm256_fmadd_ps(a, b1, c01);
    a = _mm256_broadcast_ss(Ap + 1);
    c10 = _mm256_fmadd_ps(a, b0, c10); c11 = _mm256_fmadd_ps(a, b1, c11);
    a = _mm256_broadcast_ss(Ap + 2);
    c20 = _mm256_fmadd_ps(a, b0, c20); c21 = _mm256_fmadd_ps(a, b1, c21);
    a = _mm256_broadcast_ss(Ap + 3);
    c30 = _mm256_fmadd_ps(a, b0, c30); c31 = _mm256_fmadd_ps(a, b1, c31);
    a = _mm256_broadcast_ss(Ap + 4);
    c40 = _mm256_fmadd_ps(a, b0, c40); c41 = _mm256_fmadd_ps(a, b1, c41);
    a = _mm256_broadcast_ss(Ap + 5);
    c50 = _mm256_fmadd_ps(a, b0, c50); c51 = _mm256_fmadd_ps(a, b1, c51);
    Ap += MR;
    Bp += NR;
  }
  if (mr == MR && nr == NR) {
    const __m256 va = _mm256_set1_ps(alpha);
    __m256 rows[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
    for (int r = 0; r < MR; ++r) {
      float* c = C + (long)r * ldc;
      if (overwrite) {
        _mm256_storeu_ps(c, _mm256_mul_ps(va, rows[r][0]));
        _mm256_storeu_ps(c + 8, _mm256_mul_ps(va, rows[r][1]));
      } else {
        _mm256_storeu_ps(c, _mm256_fmadd_ps(va, rows[r][0], _mm256_loadu_ps(c)));
        _mm256_storeu_ps(c + 8, _mm256_fmadd_ps(va, rows[r][1], _mm256_loadu_ps(c + 8)));
      }
    }
    return;
  }
  alignas(32) float acc[MR * NR];
  _mm256_store_ps(acc + 0, c00); _mm256_store_ps(acc + 8, c01);
  _mm256_store_ps(acc + 16, c10); _mm256_store_ps(acc + 24, c11);
  _mm256_store_ps(acc + 32, c20); _mm256_store_ps(acc + 40, c21);
  _mm256_store_ps(acc + 48, c30); _mm256_store_ps(acc + 56, c31);
  _mm256_store_ps(acc + 64, c40); _mm256_store_ps(acc + 72, c41);
  _mm256_store_ps(acc + 80, c50); _mm256_store_ps(acc + 88, c51);
#else
  float acc[MR * NR] = {0};
  for (int k = 0; k < kc; ++k) {
    for (int r = 0; r < MR; ++r)
      for (int c = 0; c < NR; ++c) acc[r * NR + c] += Ap[r] * Bp[c];
    Ap += MR;
    Bp += NR;
  }
#endif
  for (int r = 0; r < mr; ++r)
    for (int c = 0; c < nr; ++c) {
      float* dst = C + (long)r * ldc + c;
      *dst = overwrite ? alpha * acc[r * NR + c] : *dst + alpha * acc[r * NR + c];
    }
}

// Single-threaded blocked GEMM over the column range [n0, n1) and row range [m0, m1) (C += alpha*AB).
void gemm_block(bool ta, bool tb, int m0, int m1, int n0, int n1, int K, float alpha, const float* A, int lda,
                const float* B, int ldb, bool beta0, float* C, int ldc, std::vector<float>& abuf,
                std::vector<float>& bbuf) {
  for (int jc = n0; jc < n1; jc += NC) {
    const int nc = std::min(NC, n1 - jc);
    const int ncPad = (nc + NR - 1) / NR * NR;
    for (int pc = 0; pc < K; pc += KC) {
      const int kc = std::min(KC, K - pc);
      if ((long)bbuf.size() < (long)ncPad * kc) bbuf.resize((long)ncPad * kc);
      pack_b(tb, B, ldb, pc, jc, kc, nc, bbuf.data());
      for (int ic = m0; ic < m1; ic += MC) {
        const int mc = std::min(MC, m1 - ic);
        const int mcPad = (mc + MR - 1) / MR * MR;
        if ((long)abuf.size() < (long)mcPad * kc) abuf.resize((long)mcPad * kc);
        pack_a(ta, A, lda, ic, pc, mc, kc, abuf.data());
        for (int jr = 0; jr < nc; jr += NR) {
          const int nr = std::min(NR, nc - jr);
          for (int ir = 0; ir < mc; ir += MR) {
            const int mr = std::min(MR, mc - ir);
            micro(kc, abuf.data() + (long)ir * kc, bbuf.data() + (long)jr * kc,
                  C + (long)(ic + ir) * ldc + jc + jr, ldc, alpha, mr, nr, beta0 && pc == 0);
          }
        }
      }
    }
  }
}

thread_local std::vector<float> tl_abuf, tl_bbuf;

void scale_c(int M, int N, float beta, float* C, int ldc) {
  if (beta == 1.0f) return;
  for (int i = 0; i < M; ++i) {
    float* c = C + (long)i * ldc;
    if (beta == 0.0f) std::memset(c, 0, sizeof(float) * N);
    else for (int j = 0; j < N; ++j) c[j] *= beta;
  }
}

}  // namespace

void sgemm(bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda, const float* B, int ldb,
           float beta, float* C, int ldc, bool parallel) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || beta != 0.0f) scale_c(M, N, K <= 0 && beta == 0.0f ? 0.0f : beta, C, ldc);
  if (K <= 0) return;
  const bool beta0 = beta == 0.0f;  // then the first K block overwrites C (never reads it)
  const double flops = 2.0 * M * N * K;
  const int nt = parallel ? num_threads() : 1;
  if (nt <= 1 || flops < 2e5) {
    gemm_block(ta, tb, 0, M, 0, N, K, alpha, A, lda, B, ldb, beta0, C, ldc, tl_abuf, tl_bbuf);
    return;
  }
  // Split the larger output dimension into one contiguous range per thread (no shared packing, no barriers).
  const bool splitN = N >= M;
  const int extent = splitN ? N : M;
  const int unit = splitN ? NR : MR;
  const int units = (extent + unit - 1) / unit;
  const int parts = std::min(nt, units);
#pragma omp parallel for num_threads(parts) schedule(static, 1)
  for (int p = 0; p < parts; ++p) {
    const int u0 = (int)((long)units * p / parts), u1 = (int)((long)units * (p + 1) / parts);
    const int s = u0 * unit, e = std::min(extent, u1 * unit);
    if (s >= e) continue;
    if (splitN) gemm_block(ta, tb, 0, M, s, e, K, alpha, A, lda, B, ldb, beta0, C, ldc, tl_abuf, tl_bbuf);
    else gemm_block(ta, tb, s, e, 0, N, K, alpha, A, lda, B, ldb, beta0, C, ldc, tl_abuf, tl_bbuf);
  }
}

void sgemm_batched(int batch, bool ta, bool tb, int M, int N, int K, const float* A, long strideA, const float* B,
                   long strideB, float* C) {
  const int lda = ta ? M : K, ldb = tb ? K : N;
  const long strideC = (long)M * N;
  const int nt = num_threads();
  if (batch == 1 || nt <= 1) {
    for (int i = 0; i < batch; ++i)
      sgemm(ta, tb, M, N, K, 1.0f, A + i * strideA, lda, B + i * strideB, ldb, 0.0f, C + i * strideC, N, true);
    return;
  }
#pragma omp parallel for schedule(dynamic, 1)
  for (int i = 0; i < batch; ++i)
    sgemm(ta, tb, M, N, K, 1.0f, A + i * strideA, lda, B + i * strideB, ldb, 0.0f, C + i * strideC, N, false);
}

PROCPT_TIER_END
