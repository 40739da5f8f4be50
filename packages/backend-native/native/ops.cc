// Elementwise, reduction, softmax, transpose and gather/scatter kernels (AdamW and the gradient norm: optim.cc).
#include <algorithm>
#include <cfloat>
#include <vector>

#include "kernels.h"

PROCPT_TIER_BEGIN

namespace {
constexpr long kGrain = 1 << 14;  // elements per parallel chunk below which threads cost more than they give

template <int OP>
inline float bop(float a, float b) {
  if constexpr (OP == 0) return a + b;
  if constexpr (OP == 1) return a - b;
  if constexpr (OP == 2) return a * b;
  if constexpr (OP == 3) return a / b;
  if constexpr (OP == 4) return a > b || std::isnan(a) ? a : b;
  if constexpr (OP == 5) return a < b || std::isnan(a) ? a : b;
  if constexpr (OP == 6) return (a - b) * (a - b);
  return 0.0f;
}

template <int OP>
void binary_t(float* out, const float* a, const float* b, int rank, const int* shape, const int* sa, const int* sb) {
  const long inner = shape[rank - 1];
  const int ia = sa[rank - 1], ib = sb[rank - 1];
  long outer = 1;
  for (int d = 0; d < rank - 1; ++d) outer *= shape[d];
#pragma omp parallel for schedule(static) if (outer * inner > kGrain)
  for (long o = 0; o < outer; ++o) {
    long rem = o, offA = 0, offB = 0;
    for (int d = rank - 2; d >= 0; --d) {
      const long idx = rem % shape[d];
      rem /= shape[d];
      offA += idx * sa[d];
      offB += idx * sb[d];
    }
    const float* pa = a + offA;
    const float* pb = b + offB;
    float* po = out + o * inner;
    if (ia == 1 && ib == 1) {
      for (long i = 0; i < inner; ++i) po[i] = bop<OP>(pa[i], pb[i]);
    } else if (ia == 1) {
      const float vb = pb[0];
      for (long i = 0; i < inner; ++i) po[i] = bop<OP>(pa[i], vb);
    } else if (ib == 1) {
      const float va = pa[0];
      for (long i = 0; i < inner; ++i) po[i] = bop<OP>(va, pb[i]);
    } else {
      const float v = bop<OP>(pa[0], pb[0]);
      for (long i = 0; i < inner; ++i) po[i] = v;
    }
  }
}
}  // namespace

void binary(int op, float* out, const float* a, const float* b, int rank, const int* shape, const int* sa,
            const int* sb) {
  switch (op) {
    case 0: binary_t<0>(out, a, b, rank, shape, sa, sb); break;
    case 1: binary_t<1>(out, a, b, rank, shape, sa, sb); break;
    case 2: binary_t<2>(out, a, b, rank, shape, sa, sb); break;
    case 3: binary_t<3>(out, a, b, rank, shape, sa, sb); break;
    case 4: binary_t<4>(out, a, b, rank, shape, sa, sb); break;
    case 5: binary_t<5>(out, a, b, rank, shape, sa, sb); break;
    case 6: binary_t<6>(out, a, b, rank, shape, sa, sb); break;
    default: break;
  }
}

void vexp(float* out, const float* x, long n) {
  long i = 0;
#ifdef PROCPT_AVX2
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, exp8(_mm256_loadu_ps(x + i)));
#endif
  for (; i < n; ++i) out[i] = std::exp(x[i]);
}

void vtanh(float* out, const float* x, long n) {
  long i = 0;
#ifdef PROCPT_AVX2
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, tanh8(_mm256_loadu_ps(x + i)));
#endif
  for (; i < n; ++i) out[i] = std::tanh(x[i]);
}

void unary(int op, float* out, const float* x, long n, float alpha) {
  const long chunks = std::max(1L, std::min<long>(num_threads(), n / kGrain));
#pragma omp parallel for schedule(static) if (chunks > 1)
  for (long c = 0; c < chunks; ++c) {
    const long s = n * c / chunks, e = n * (c + 1) / chunks;
    float* o = out + s;
    const float* v = x + s;
    const long m = e - s;
    switch (op) {
      case 0: vexp(o, v, m); break;
      case 1: vtanh(o, v, m); break;
      case 2: for (long i = 0; i < m; ++i) o[i] = -v[i]; break;
      case 3: for (long i = 0; i < m; ++i) o[i] = std::sqrt(v[i]); break;
      case 4: for (long i = 0; i < m; ++i) o[i] = 1.0f / std::sqrt(v[i]); break;
      case 5: for (long i = 0; i < m; ++i) o[i] = v[i] * v[i]; break;
      case 6: for (long i = 0; i < m; ++i) o[i] = v[i] > 0.0f ? v[i] : (std::isnan(v[i]) ? v[i] : 0.0f); break;
      case 7: for (long i = 0; i < m; ++i) o[i] = std::log(v[i]); break;
      case 8: for (long i = 0; i < m; ++i) o[i] = std::fabs(v[i]); break;
      case 9: for (long i = 0; i < m; ++i) o[i] = 1.0f / v[i]; break;
      case 10: {  // sigmoid
        for (long i = 0; i < m; ++i) o[i] = -v[i];
        vexp(o, o, m);
        for (long i = 0; i < m; ++i) o[i] = 1.0f / (1.0f + o[i]);
        break;
      }
      case 11: for (long i = 0; i < m; ++i) o[i] = v[i] * alpha; break;  // scale
      default: break;
    }
  }
}

void softmax_rows(float* out, const float* x, long rows, int cols) {
#pragma omp parallel for schedule(static) if (rows * cols > kGrain)
  for (long r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    float* o = out + r * cols;
    float mx = -INFINITY;
    for (int j = 0; j < cols; ++j) mx = std::max(mx, xr[j]);
    long j = 0;
    float sum = 0.0f;
#ifdef PROCPT_AVX2
    const __m256 vm = _mm256_set1_ps(mx);
    __m256 vs = _mm256_setzero_ps();
    for (; j + 8 <= cols; j += 8) {
      const __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(xr + j), vm));
      _mm256_storeu_ps(o + j, e);
      vs = _mm256_add_ps(vs, e);
    }
    sum = hsum8(vs);
#endif
    for (; j < cols; ++j) {
      o[j] = std::exp(xr[j] - mx);
      sum += o[j];
    }
    const float inv = 1.0f / sum;
    for (int k = 0; k < cols; ++k) o[k] *= inv;
  }
}

// op: 0 sum, 1 max, 2 min, 3 mean (over the last axis of [rows, cols]).
void reduce_rows(int op, float* out, const float* x, long rows, long cols) {
#pragma omp parallel for schedule(static) if (rows * cols > kGrain)
  for (long r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    if (op == 0 || op == 3) {
      double s = 0.0;
      float part = 0.0f;
      long j = 0;
      for (; j < cols; ++j) {  // blocks of 64 in float, accumulated in double
        part += xr[j];
        if ((j & 63) == 63) { s += part; part = 0.0f; }
      }
      s += part;
      out[r] = op == 3 ? (float)(s / cols) : (float)s;
    } else if (op == 1) {
      float m = -INFINITY;
      for (long j = 0; j < cols; ++j) m = (xr[j] > m || std::isnan(xr[j])) ? xr[j] : m;
      out[r] = m;
    } else {
      float m = INFINITY;
      for (long j = 0; j < cols; ++j) m = (xr[j] < m || std::isnan(xr[j])) ? xr[j] : m;
      out[r] = m;
    }
  }
}

// out[c] = sum_r x[r, c]  (bias gradients: reduce over the leading axes).
void sum_cols(float* out, const float* x, long rows, long cols) {
  const int nt = std::max(1, std::min<int>(num_threads(), (int)(rows * cols / kGrain)));
  std::vector<float> part((size_t)nt * cols, 0.0f);
#pragma omp parallel for num_threads(nt) schedule(static, 1) if (nt > 1)
  for (int t = 0; t < nt; ++t) {
    float* acc = part.data() + (long)t * cols;
    const long r0 = rows * t / nt, r1 = rows * (t + 1) / nt;
    for (long r = r0; r < r1; ++r) {
      const float* xr = x + r * cols;
      for (long c = 0; c < cols; ++c) acc[c] += xr[c];
    }
  }
  for (long c = 0; c < cols; ++c) {
    float s = 0.0f;
    for (int t = 0; t < nt; ++t) s += part[(long)t * cols + c];
    out[c] = s;
  }
}

// General transpose (rank <= 8). Iterates the output in 16x16 tiles over the two innermost axes
// (output-inner and input-inner) so both reads and writes stay cache friendly.
void transpose(float* out, const float* x, int rank, const int* shape, const int* perm) {
  long istr[8], ostr[8], oshape[8];
  istr[rank - 1] = 1;
  for (int d = rank - 2; d >= 0; --d) istr[d] = istr[d + 1] * shape[d + 1];
  for (int d = 0; d < rank; ++d) oshape[d] = shape[perm[d]];
  ostr[rank - 1] = 1;
  for (int d = rank - 2; d >= 0; --d) ostr[d] = ostr[d + 1] * oshape[d + 1];
  // Input stride of each output axis.
  long src[8];
  for (int d = 0; d < rank; ++d) src[d] = istr[perm[d]];
  if (perm[rank - 1] == rank - 1) {  // innermost axis kept: copy rows
    const long inner = oshape[rank - 1];
    long outer = 1;
    for (int d = 0; d < rank - 1; ++d) outer *= oshape[d];
#pragma omp parallel for schedule(static) if (outer * inner > kGrain)
    for (long o = 0; o < outer; ++o) {
      long rem = o, off = 0;
      for (int d = rank - 2; d >= 0; --d) { off += (rem % oshape[d]) * src[d]; rem /= oshape[d]; }
      std::memcpy(out + o * inner, x + off, sizeof(float) * inner);
    }
    return;
  }
  // q: output axis that reads the input's innermost axis.
  int q = 0;
  for (int d = 0; d < rank; ++d) if (perm[d] == rank - 1) q = d;
  const long nI = oshape[rank - 1], nQ = oshape[q];
  const long sI = src[rank - 1];  // input stride when moving along the output inner axis
  const long oq = ostr[q];
  long outer = 1;
  int od[8], no = 0;
  for (int d = 0; d < rank - 1; ++d) if (d != q) { od[no++] = d; outer *= oshape[d]; }
#pragma omp parallel for schedule(static) if (outer * nI * nQ > kGrain)
  for (long o = 0; o < outer; ++o) {
    long rem = o, inOff = 0, outOff = 0;
    for (int t = no - 1; t >= 0; --t) {
      const int d = od[t];
      const long idx = rem % oshape[d];
      rem /= oshape[d];
      inOff += idx * src[d];
      outOff += idx * ostr[d];
    }
    for (long i0 = 0; i0 < nI; i0 += 16) {
      const long i1 = std::min(nI, i0 + 16);
      for (long q0 = 0; q0 < nQ; q0 += 16) {
        const long q1 = std::min(nQ, q0 + 16);
        for (long i = i0; i < i1; ++i)
          for (long qq = q0; qq < q1; ++qq) out[outOff + qq * oq + i] = x[inOff + i * sI + qq];
      }
    }
  }
}

void gather_rows(float* out, const float* x, const int32_t* idx, long n, long rows, long cols) {
#pragma omp parallel for schedule(static) if (n * cols > kGrain)
  for (long i = 0; i < n; ++i) {
    const long r = idx[i];
    if (r < 0 || r >= rows) std::memset(out + i * cols, 0, sizeof(float) * cols);  // tfjs cpu yields zeros too
    else std::memcpy(out + i * cols, x + r * cols, sizeof(float) * cols);
  }
}

// out[s, :] = sum over i with ids[i] == s of x[i, :]; out must be zeroed. Columns split across threads.
void segment_sum_rows(float* out, const float* x, const int32_t* ids, long n, long segments, long cols) {
  const int nt = std::max(1, std::min<int>(num_threads(), (int)(n * cols / kGrain)));
  const long parts = cols >= 64 ? nt : 1;
#pragma omp parallel for num_threads(nt) schedule(static, 1) if (parts > 1)
  for (long t = 0; t < parts; ++t) {
    const long c0 = cols * t / parts, c1 = cols * (t + 1) / parts;
    for (long i = 0; i < n; ++i) {
      const long s = ids[i];
      if (s < 0 || s >= segments) continue;
      float* o = out + s * cols;
      const float* v = x + i * cols;
      for (long c = c0; c < c1; ++c) o[c] += v[c];
    }
  }
}

PROCPT_TIER_END

PROCPT_TIER_BEGIN
// Copies the block `size` starting at srcBegin in src (shape srcShape) to dstBegin in dst (shape dstShape).
// Covers Slice (dstBegin = 0), Concat (srcBegin = 0) and SplitV. Rows along the last axis are memcpy'd.
void copy_block(float* dst, const int* dstShape, const int* dstBegin, const float* src, const int* srcShape,
                const int* srcBegin, const int* size, int rank) {
  long ds[8], ss[8];
  ds[rank - 1] = ss[rank - 1] = 1;
  for (int d = rank - 2; d >= 0; --d) {
    ds[d] = ds[d + 1] * dstShape[d + 1];
    ss[d] = ss[d + 1] * srcShape[d + 1];
  }
  long outer = 1;
  for (int d = 0; d < rank - 1; ++d) outer *= size[d];
  const long inner = size[rank - 1];
  long d0 = 0, s0 = 0;
  for (int d = 0; d < rank; ++d) { d0 += dstBegin[d] * ds[d]; s0 += srcBegin[d] * ss[d]; }
#pragma omp parallel for schedule(static) if (outer * inner > (1 << 15))
  for (long o = 0; o < outer; ++o) {
    long rem = o, doff = d0, soff = s0;
    for (int d = rank - 2; d >= 0; --d) {
      const long idx = rem % size[d];
      rem /= size[d];
      doff += idx * ds[d];
      soff += idx * ss[d];
    }
    std::memcpy(dst + doff, src + soff, sizeof(float) * inner);
  }
}
PROCPT_TIER_END
