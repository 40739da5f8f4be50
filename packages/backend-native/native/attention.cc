// Fused causal attention kernels (forward/backward, optional attention dropout).
#include <algorithm>
#include <cfloat>
#include <vector>

#include "kernels.h"

PROCPT_TIER_BEGIN
// qkv: [B*T, 3*H*dh] (the c_attn output: q | k | v, head h at columns h*dh). out: [B*T, H*dh].
// probs: [B, H, T, T] softmax probabilities (zeros above the diagonal), kept for the backward pass.
// Rows are processed over a length rounded up to 8 (masked lanes hold -inf scores / zero probabilities), so
// every inner loop is whole SIMD vectors even for the tiny head sizes of small models.
namespace {
inline int round8(int n) { return (n + 7) & ~7; }

// In-place softmax of p[0, len): the max over the first `valid` entries (the causal ones; any lanes beyond
// hold -inf and come out 0).
inline void softmax_row(float* p, int valid, int len) {
  float mx = -INFINITY;
  for (int j = 0; j < valid; ++j) mx = std::max(mx, p[j]);
#pragma omp simd
  for (int j = 0; j < len; ++j) p[j] -= mx;
  vexp(p, p, len);
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (int j = 0; j < len; ++j) sum += p[j];
  const float inv = 1.0f / sum;
#pragma omp simd
  for (int j = 0; j < len; ++j) p[j] *= inv;
}

// Copies head h of K and V for batch b into transposed, zero-padded [dh, Tp] buffers.
void load_kv(const float* base, int T, int Tp, int d, int ld, int h, int dh, float* kT, float* vT) {
  std::fill(kT, kT + (long)dh * Tp, 0.0f);
  std::fill(vT, vT + (long)dh * Tp, 0.0f);
  for (int j = 0; j < T; ++j)
    for (int c = 0; c < dh; ++c) {
      kT[(long)c * Tp + j] = base[(long)j * ld + d + h * dh + c];
      vT[(long)c * Tp + j] = base[(long)j * ld + 2 * d + h * dh + c];
    }
}
}  // namespace

// Head sizes >= 16: per (batch, head) the products run through the blocked GEMM straight on the strided
// q/k/v column blocks of qkv (lda = 3d), which is several times faster than row loops at these sizes. Rows go in
// blocks of CB so that only the causal (lower) part of the T x T products is computed: with 4 blocks that is
// 10/16 of the full products.
namespace {
inline int causal_block(int T) { return T <= 256 ? 36 : 72; }  // multiples of the GEMM's 6-row micro-tile
}  // namespace

void attention_fwd_gemm(const float* qkv, float* out, float* probs, int B, int T, int H, int dh, float scale,
                        AttnDropout drop) {
  const int d = H * dh, ld = 3 * d, CB = causal_block(T);
  const bool dropping = drop.rate > 0.0f;
  const DropRow dr(drop);
#pragma omp parallel
  {
    // with dropout, ·V multiplies the dropped probabilities D = P ⊙ M / (1 - rate) of the row block instead of P
    std::vector<float> D(dropping ? (size_t)CB * T : 0), mk(dropping ? (size_t)T : 0);
#pragma omp for schedule(dynamic, 1)
    for (long bh = 0; bh < (long)B * H; ++bh) {
      const int b = (int)(bh / H), h = (int)(bh % H);
      const float* Q = qkv + (long)b * T * ld + h * dh;
      float* P = probs + bh * T * T;
      for (int i0 = 0; i0 < T; i0 += CB) {
        const int i1 = std::min(T, i0 + CB);
        // scores of rows [i0, i1) against keys [0, i1): the only ones the causal mask keeps
        sgemm(false, true, i1 - i0, i1, dh, scale, Q + (long)i0 * ld, ld, Q + d, ld, 0.0f, P + (long)i0 * T, T, false);
        for (int i = i0; i < i1; ++i) {
          float* pr = P + (long)i * T;
          const int n = i + 1;
          softmax_row(pr, n, n);
          std::memset(pr + n, 0, sizeof(float) * (T - n));  // also the columns >= i1 the GEMM did not write
          if (dropping) {
            float* dro = D.data() + (long)(i - i0) * T;
            dr.fill(mk.data(), ((uint64_t)bh * T + i) * T, n, dr.inv_keep);
#pragma omp simd
            for (int j = 0; j < n; ++j) dro[j] = pr[j] * mk[j];
            std::memset(dro + n, 0, sizeof(float) * (i1 - n));
          }
        }
        sgemm(false, false, i1 - i0, dh, i1, 1.0f, dropping ? D.data() : P + (long)i0 * T, T, Q + 2 * d, ld, 0.0f,
              out + ((long)b * T + i0) * d + h * dh, d, false);
      }
    }
  }
}

void attention_bwd_gemm(const float* dy, const float* qkv, const float* probs, float* dqkv, int B, int T, int H,
                        int dh, float scale, AttnDropout drop) {
  const int d = H * dh, ld = 3 * d, CB = causal_block(T);
  const bool dropping = drop.rate > 0.0f;
  const DropRow dr(drop);
#pragma omp parallel
  {
    std::vector<float> dS((size_t)T * T);
    // with dropout: the regenerated D = P ⊙ M / (1 - rate) (for dV = Dᵀ dO) and one row of multipliers
    std::vector<float> D(dropping ? (size_t)T * T : 0), mk(dropping ? (size_t)T : 0);
#pragma omp for schedule(dynamic, 1)
    for (long bh = 0; bh < (long)B * H; ++bh) {
      const int b = (int)(bh / H), h = (int)(bh % H);
      const float* Q = qkv + (long)b * T * ld + h * dh;
      const float* dO = dy + (long)b * T * d + h * dh;
      float* dQ = dqkv + (long)b * T * ld + h * dh;
      const float* P = probs + bh * T * T;
      for (int i0 = 0; i0 < T; i0 += CB) {
        const int i1 = std::min(T, i0 + CB);
        float* S = dS.data() + (long)i0 * T;
        sgemm(false, true, i1 - i0, i1, dh, 1.0f, dO + (long)i0 * d, d, Q + 2 * d, ld, 0.0f, S, T, false);  // dP = dO Vᵀ
        for (int i = i0; i < i1; ++i) {
          const float* pr = P + (long)i * T;
          float* g = dS.data() + (long)i * T;
          const int n = i + 1;
          if (dropping) {  // g holds dD = dO Vᵀ: dP = dD ⊙ M / (1 - rate)
            float* dro = D.data() + (long)i * T;
            dr.fill(mk.data(), ((uint64_t)bh * T + i) * T, n, dr.inv_keep);
#pragma omp simd
            for (int j = 0; j < n; ++j) {
              dro[j] = pr[j] * mk[j];
              g[j] *= mk[j];
            }
            std::memset(dro + n, 0, sizeof(float) * (T - n));
          }
          float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
          for (int j = 0; j < n; ++j) dot += pr[j] * g[j];
#pragma omp simd
          for (int j = 0; j < n; ++j) g[j] = pr[j] * (g[j] - dot) * scale;
          std::memset(g + n, 0, sizeof(float) * (T - n));
        }
        sgemm(false, false, i1 - i0, dh, i1, 1.0f, S, T, Q + d, ld, 0.0f, dQ + (long)i0 * ld, ld, false);  // dQ = dS K
      }
      // key/value rows [j0, j1) receive from query rows i >= j0 only (P and dS are zero above the diagonal)
      for (int j0 = 0; j0 < T; j0 += CB) {
        const int j1 = std::min(T, j0 + CB), k = T - j0;
        const long o = (long)j0 * T + j0;
        sgemm(true, false, j1 - j0, dh, k, 1.0f, (dropping ? D.data() : P) + o, T, dO + (long)j0 * d, d, 0.0f,
              dQ + 2 * d + (long)j0 * ld, ld, false);  // dV = Pᵀ dO (Dᵀ dO with dropout)
        sgemm(true, false, j1 - j0, dh, k, 1.0f, dS.data() + o, T, Q + (long)j0 * ld, ld, 0.0f,
              dQ + d + (long)j0 * ld, ld, false);  // dK = dSᵀ Q
      }
    }
  }
}

void attention_fwd(const float* qkv, float* out, float* probs, int B, int T, int H, int dh, float scale,
                   AttnDropout drop) {
  if (dh >= 16) return attention_fwd_gemm(qkv, out, probs, B, T, H, dh, scale, drop);
  const int d = H * dh, ld = 3 * d, Tp = round8(T);
  const bool dropping = drop.rate > 0.0f;
  const DropRow dr(drop);
#pragma omp parallel
  {
    std::vector<float> kT((size_t)dh * Tp), vT((size_t)dh * Tp), s(Tp), mk(dropping ? (size_t)Tp : 0);
#pragma omp for schedule(dynamic, 1)
    for (long bh = 0; bh < (long)B * H; ++bh) {
      const int b = (int)(bh / H), h = (int)(bh % H);
      const float* base = qkv + (long)b * T * ld;
      load_kv(base, T, Tp, d, ld, h, dh, kT.data(), vT.data());
      float* P = probs + bh * T * T;
      for (int i = 0; i < T; ++i) {
        const float* q = base + (long)i * ld + h * dh;
        const int n = i + 1, n8 = round8(n);
        float* sp = s.data();
        for (int j = 0; j < n8; ++j) sp[j] = 0.0f;
        for (int c = 0; c < dh; ++c) {
          const float qc = q[c] * scale;
          const float* kr = kT.data() + (long)c * Tp;
#pragma omp simd
          for (int j = 0; j < n8; ++j) sp[j] += qc * kr[j];
        }
        for (int j = n; j < n8; ++j) sp[j] = -INFINITY;
        softmax_row(sp, n, n8);
        float* pr = P + (long)i * T;
        std::memcpy(pr, sp, sizeof(float) * n);
        std::memset(pr + n, 0, sizeof(float) * (T - n));
        if (dropping) {  // lanes >= n already hold 0
          dr.fill(mk.data(), ((uint64_t)bh * T + i) * T, n, dr.inv_keep);
#pragma omp simd
          for (int j = 0; j < n; ++j) sp[j] *= mk[j];
        }
        float* o = out + ((long)b * T + i) * d + h * dh;
        for (int c = 0; c < dh; ++c) {
          const float* vr = vT.data() + (long)c * Tp;
          float acc = 0.0f;
#pragma omp simd reduction(+ : acc)
          for (int j = 0; j < n8; ++j) acc += sp[j] * vr[j];
          o[c] = acc;
        }
      }
    }
  }
}

void attention_bwd(const float* dy, const float* qkv, const float* probs, float* dqkv, int B, int T, int H, int dh,
                   float scale, AttnDropout drop) {
  if (dh >= 16) return attention_bwd_gemm(dy, qkv, probs, dqkv, B, T, H, dh, scale, drop);
  const int d = H * dh, ld = 3 * d, Tp = round8(T);
  const bool dropping = drop.rate > 0.0f;
  const DropRow dr(drop);
#pragma omp parallel
  {
    std::vector<float> kT((size_t)dh * Tp), vT((size_t)dh * Tp), dkT((size_t)dh * Tp), dvT((size_t)dh * Tp);
    std::vector<float> ds(Tp), pr(Tp, 0.0f), mk(dropping ? (size_t)Tp : 0, 0.0f), dd(dropping ? (size_t)Tp : 0);
#pragma omp for schedule(dynamic, 1)
    for (long bh = 0; bh < (long)B * H; ++bh) {
      const int b = (int)(bh / H), h = (int)(bh % H);
      const float* base = qkv + (long)b * T * ld;
      float* dbase = dqkv + (long)b * T * ld;
      load_kv(base, T, Tp, d, ld, h, dh, kT.data(), vT.data());
      std::fill(dkT.begin(), dkT.end(), 0.0f);
      std::fill(dvT.begin(), dvT.end(), 0.0f);
      const float* P = probs + bh * T * T;
      for (int i = 0; i < T; ++i) {
        const int n = i + 1, n8 = round8(n);
        float* p = pr.data();
        float* g2 = ds.data();
        std::memcpy(p, P + (long)i * T, sizeof(float) * n);
        for (int j = n; j < n8; ++j) p[j] = 0.0f;
        const float* pv = p;  // what dV accumulates: P, or D = P ⊙ M / (1 - rate) with dropout
        if (dropping) {
          dr.fill(mk.data(), ((uint64_t)bh * T + i) * T, n, dr.inv_keep);
          for (int j = n; j < n8; ++j) mk[j] = 0.0f;
#pragma omp simd
          for (int j = 0; j < n8; ++j) dd[j] = p[j] * mk[j];
          pv = dd.data();
        }
        const float* g = dy + ((long)b * T + i) * d + h * dh;
        const float* q = base + (long)i * ld + h * dh;
        // dP[j] = dO_i . v_j ; dV[j] += P_ij dO_i
        for (int j = 0; j < n8; ++j) g2[j] = 0.0f;
        for (int c = 0; c < dh; ++c) {
          const float gc = g[c];
          const float* vr = vT.data() + (long)c * Tp;
          float* dvr = dvT.data() + (long)c * Tp;
#pragma omp simd
          for (int j = 0; j < n8; ++j) {
            g2[j] += gc * vr[j];
            dvr[j] += gc * pv[j];
          }
        }
        if (dropping) {  // g2 holds dD: dP = dD ⊙ M / (1 - rate)
#pragma omp simd
          for (int j = 0; j < n8; ++j) g2[j] *= mk[j];
        }
        float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
        for (int j = 0; j < n8; ++j) dot += p[j] * g2[j];
#pragma omp simd
        for (int j = 0; j < n8; ++j) g2[j] = p[j] * (g2[j] - dot) * scale;
        // dQ_i = dS K ; dK[j] += dS_j q_i
        float* dq = dbase + (long)i * ld + h * dh;
        for (int c = 0; c < dh; ++c) {
          const float* kr = kT.data() + (long)c * Tp;
          float* dkr = dkT.data() + (long)c * Tp;
          const float qc = q[c];
          float acc = 0.0f;
#pragma omp simd reduction(+ : acc)
          for (int j = 0; j < n8; ++j) {
            acc += g2[j] * kr[j];
            dkr[j] += g2[j] * qc;
          }
          dq[c] = acc;
        }
      }
      for (int j = 0; j < T; ++j)
        for (int c = 0; c < dh; ++c) {
          dbase[(long)j * ld + d + h * dh + c] = dkT[(long)c * Tp + j];
          dbase[(long)j * ld + 2 * d + h * dh + c] = dvT[(long)c * Tp + j];
        }
    }
  }
}

void attention_dropout_mask(AttnDropout drop, int B, int H, int T, float* out) {
  const DropRow dr(drop);
#pragma omp parallel for schedule(static)
  for (long r = 0; r < (long)B * H * T; ++r) dr.fill(out + r * T, (uint64_t)r * T, T, 1.0f);
}

PROCPT_TIER_END
