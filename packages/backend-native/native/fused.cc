// Fused transformer kernels: causal attention (forward/backward), LayerNorm, bias+GELU, masked CE.
#include <algorithm>
#include <cfloat>
#include <vector>

#include "common.h"

namespace procpt {

// qkv: [B*T, 3*H*dh] (the c_attn output: q | k | v, head h at columns h*dh). out: [B*T, H*dh].
// probs: [B, H, T, T] softmax probabilities (zeros above the diagonal), kept for the backward pass.
// Rows are processed over a length rounded up to 8 (masked lanes hold -inf scores / zero probabilities), so
// every inner loop is whole SIMD vectors even for the tiny head sizes of small models.
namespace {
inline int round8(int n) { return (n + 7) & ~7; }

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
          float mx = -INFINITY;
          for (int j = 0; j < n; ++j) mx = std::max(mx, pr[j]);
          for (int j = 0; j < n; ++j) pr[j] -= mx;
          vexp(pr, pr, n);
          float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
          for (int j = 0; j < n; ++j) sum += pr[j];
          const float inv = 1.0f / sum;
#pragma omp simd
          for (int j = 0; j < n; ++j) pr[j] *= inv;
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
        float mx = -INFINITY;
        for (int j = 0; j < n; ++j) mx = std::max(mx, sp[j]);
#pragma omp simd
        for (int j = 0; j < n8; ++j) sp[j] -= mx;
        vexp(sp, sp, n8);
        float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
        for (int j = 0; j < n8; ++j) sum += sp[j];
        const float inv = 1.0f / sum;
#pragma omp simd
        for (int j = 0; j < n8; ++j) sp[j] *= inv;
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

void layernorm_fwd(const float* x, const float* g, const float* b, float* y, float* mean, float* rstd, long rows,
                   int D, float eps) {
#pragma omp parallel for schedule(static) if (rows * D > 16384)
  for (long r = 0; r < rows; ++r) {
    const float* xr = x + r * D;
    float s = 0.0f;
#pragma omp simd reduction(+ : s)
    for (int j = 0; j < D; ++j) s += xr[j];
    const float mu = s / D;
    float v = 0.0f;
#pragma omp simd reduction(+ : v)
    for (int j = 0; j < D; ++j) v += (xr[j] - mu) * (xr[j] - mu);
    const float rs = 1.0f / std::sqrt(v / D + eps);
    mean[r] = mu;
    rstd[r] = rs;
    float* yr = y + r * D;
#pragma omp simd
    for (int j = 0; j < D; ++j) yr[j] = (xr[j] - mu) * rs * g[j] + b[j];
  }
}

void layernorm_bwd(const float* dy, const float* x, const float* g, const float* mean, const float* rstd, float* dx,
                   float* dg, float* db, long rows, int D) {
  const int nt = rows * D > 16384 ? num_threads() : 1;
  std::vector<float> pg((size_t)nt * D, 0.0f), pb((size_t)nt * D, 0.0f);
#pragma omp parallel for num_threads(nt) schedule(static, 1) if (nt > 1)
  for (int t = 0; t < nt; ++t) {
    float* ag = pg.data() + (long)t * D;
    float* ab = pb.data() + (long)t * D;
    const long r0 = rows * t / nt, r1 = rows * (t + 1) / nt;
    for (long r = r0; r < r1; ++r) {
      const float* xr = x + r * D;
      const float* gr = dy + r * D;
      const float mu = mean[r], rs = rstd[r];
      float s1 = 0.0f, s2 = 0.0f;
#pragma omp simd reduction(+ : s1, s2)
      for (int j = 0; j < D; ++j) {
        const float xh = (xr[j] - mu) * rs;
        const float gh = gr[j] * g[j];
        s1 += gh;
        s2 += gh * xh;
        ag[j] += gr[j] * xh;
        ab[j] += gr[j];
      }
      s1 /= D;
      s2 /= D;
      float* o = dx + r * D;
#pragma omp simd
      for (int j = 0; j < D; ++j) {
        const float xh = (xr[j] - mu) * rs;
        o[j] = rs * (gr[j] * g[j] - s1 - xh * s2);
      }
    }
  }
  for (int j = 0; j < D; ++j) {
    float sg = 0.0f, sb = 0.0f;
    for (int t = 0; t < nt; ++t) { sg += pg[(long)t * D + j]; sb += pb[(long)t * D + j]; }
    dg[j] = sg;
    db[j] = sb;
  }
}

namespace {
constexpr float kGeluC = 0.7978845608028654f;  // sqrt(2/pi)
constexpr float kGeluA = 0.044715f;
}  // namespace

void bias_gelu_fwd(const float* x, const float* bias, float* y, long rows, int F) {
#pragma omp parallel
  {
    std::vector<float> u(F), t(F);
#pragma omp for schedule(static)
    for (long r = 0; r < rows; ++r) {
      const float* xr = x + r * F;
#pragma omp simd
      for (int j = 0; j < F; ++j) {
        u[j] = xr[j] + bias[j];
        t[j] = kGeluC * (u[j] + kGeluA * u[j] * u[j] * u[j]);
      }
      vtanh(t.data(), t.data(), F);
      float* yr = y + r * F;
#pragma omp simd
      for (int j = 0; j < F; ++j) yr[j] = 0.5f * u[j] * (1.0f + t[j]);
    }
  }
}

void bias_gelu_bwd(const float* dy, const float* x, const float* bias, float* dx, float* db, long rows, int F) {
  const int nt = num_threads();
  std::vector<float> part((size_t)nt * F, 0.0f);
#pragma omp parallel num_threads(nt)
  {
    std::vector<float> u(F), t(F);
    float* acc = part.data() + (long)thread_id() * F;
#pragma omp for schedule(static)
    for (long r = 0; r < rows; ++r) {
      const float* xr = x + r * F;
#pragma omp simd
      for (int j = 0; j < F; ++j) {
        u[j] = xr[j] + bias[j];
        t[j] = kGeluC * (u[j] + kGeluA * u[j] * u[j] * u[j]);
      }
      vtanh(t.data(), t.data(), F);
      const float* gr = dy + r * F;
      float* o = dx + r * F;
#pragma omp simd
      for (int j = 0; j < F; ++j) {
        const float uj = u[j], tj = t[j];
        const float dgelu = 0.5f * (1.0f + tj) + 0.5f * uj * (1.0f - tj * tj) * kGeluC * (1.0f + 3.0f * kGeluA * uj * uj);
        o[j] = gr[j] * dgelu;
        acc[j] += o[j];
      }
    }
  }
  for (int j = 0; j < F; ++j) {
    float s = 0.0f;
    for (int t = 0; t < nt; ++t) s += part[(long)t * F + j];
    db[j] = s;
  }
}

// Weighted next-token cross-entropy of logits h·Wᵀ without materialising [N, V]: rows are processed in
// chunks; per chunk the logits, their softmax and (when dh/dw are given) the gradients are formed.
void masked_ce(const float* h, const float* w, const int32_t* targets, const float* weights, long N, int V, int d,
               double* loss_correct, float* dh, float* dw, long max_chunk_rows) {
  // Equal chunks of up to 128 MiB of logits (>= 192 rows). Small chunks are slow at large V: every chunk re-packs
  // all of W for the two GEMMs that read it and streams the whole [V, d] dW through memory once (GPT-2's 50k vocab
  // with the former 20-row chunks: 51 passes over 154 MB each, 2.5x slower than 2 chunks of 512 rows).
  const long maxChunk =
      max_chunk_rows > 0 ? max_chunk_rows : std::max<long>(192, (1L << 25) / std::max(1, V));
  const long chunks = std::max<long>(1, (N + maxChunk - 1) / maxChunk);
  const long chunk = (N + chunks - 1) / chunks;
  std::vector<float> logits((size_t)chunk * V);
  double loss = 0.0, correct = 0.0;
  if (dw) std::memset(dw, 0, sizeof(float) * (size_t)V * d);
  for (long r0 = 0; r0 < N; r0 += chunk) {
    const long c = std::min(chunk, N - r0);
    sgemm(false, true, (int)c, V, d, 1.0f, h + r0 * d, d, w, d, 0.0f, logits.data(), V, true);
#pragma omp parallel for schedule(static) reduction(+ : loss, correct) if (c * V > 16384)
    for (long i = 0; i < c; ++i) {
      float* lr = logits.data() + i * V;
      const float wt = weights[r0 + i];
      const int tgt = targets[r0 + i];
      float mx = -INFINITY;
      int arg = 0;
      for (int j = 0; j < V; ++j) if (lr[j] > mx) { mx = lr[j]; arg = j; }
      if (wt == 0.0f || tgt < 0 || tgt >= V) {
        if (dh) std::memset(lr, 0, sizeof(float) * V);
        continue;
      }
      const float tl = lr[tgt];
      for (int j = 0; j < V; ++j) lr[j] -= mx;
      vexp(lr, lr, V);
      double sum = 0.0;
      for (int j = 0; j < V; ++j) sum += lr[j];
      loss += wt * (std::log(sum) + mx - tl);
      if (arg == tgt) correct += wt;
      if (dh) {
        const float sc = (float)(wt / sum);
        for (int j = 0; j < V; ++j) lr[j] *= sc;
        lr[tgt] -= wt;
      }
    }
    if (dh) sgemm(false, false, (int)c, d, V, 1.0f, logits.data(), V, w, d, 0.0f, dh + r0 * d, d, true);
    if (dw) sgemm(true, false, V, d, (int)c, 1.0f, logits.data(), V, h + r0 * d, d, 1.0f, dw, d, true);
  }
  loss_correct[0] = loss;
  loss_correct[1] = correct;
}

}  // namespace procpt
