// Fused transformer kernels besides attention: LayerNorm, bias+GELU, masked cross-entropy.
#include <algorithm>
#include <cfloat>
#include <vector>

#include "kernels.h"

PROCPT_TIER_BEGIN

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
static void masked_ce_rows(const float* h, const float* w, const int32_t* targets, const float* weights, long N,
                           int V, int d, double* loss_correct, float* dh, float* dw, long max_chunk_rows) {
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

// Only rows with a weight and a valid target contribute. When they are few (the diagnostic tasks score one
// position of 63), the three GEMMs run on those rows alone: gather them, compute, scatter dh back.
void masked_ce(const float* h, const float* w, const int32_t* targets, const float* weights, long N, int V, int d,
               double* loss_correct, float* dh, float* dw, long max_chunk_rows) {
  std::vector<long> rows;
  for (long i = 0; i < N; ++i)
    if (weights[i] != 0.0f && targets[i] >= 0 && targets[i] < V) rows.push_back(i);
  const long n = (long)rows.size();
  if (2 * n > N) {
    masked_ce_rows(h, w, targets, weights, N, V, d, loss_correct, dh, dw, max_chunk_rows);
    return;
  }
  std::vector<float> hc((size_t)n * d), wc(n), dhc(dh ? (size_t)n * d : 0);
  std::vector<int32_t> tc(n);
  for (long k = 0; k < n; ++k) {
    std::memcpy(hc.data() + k * d, h + rows[k] * d, sizeof(float) * d);
    tc[k] = targets[rows[k]];
    wc[k] = weights[rows[k]];
  }
  masked_ce_rows(hc.data(), w, tc.data(), wc.data(), n, V, d, loss_correct, dh ? dhc.data() : nullptr, dw,
                 max_chunk_rows);
  if (dh) {
    std::memset(dh, 0, sizeof(float) * (size_t)N * d);
    for (long k = 0; k < n; ++k) std::memcpy(dh + rows[k] * d, dhc.data() + k * d, sizeof(float) * d);
  }
}

PROCPT_TIER_END
