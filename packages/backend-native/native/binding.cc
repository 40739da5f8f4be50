// N-API surface of the procpt native kernels. Every function takes typed arrays (used in place, zero-copy)
// and numbers; argument validation happens in the TypeScript wrapper, which owns shapes and dtypes.
#include <node_api.h>

#include <cstring>
#include <thread>
#include <vector>

#include "common.h"

namespace {

struct Args {
  napi_env env;
  napi_value argv[20];
  size_t argc = 20;
  bool ok = true;
  Args(napi_env e, napi_callback_info info) : env(e) {
    if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) ok = false;
  }
  void* ptr(size_t i) {
    napi_typedarray_type type;
    size_t length;
    void* data = nullptr;
    napi_value buffer;
    size_t offset;
    if (i >= argc || napi_get_typedarray_info(env, argv[i], &type, &length, &data, &buffer, &offset) != napi_ok) {
      ok = false;
      return nullptr;
    }
    return data;
  }
  float* f32(size_t i) { return static_cast<float*>(ptr(i)); }
  int32_t* i32(size_t i) { return static_cast<int32_t*>(ptr(i)); }
  double* f64(size_t i) { return static_cast<double*>(ptr(i)); }
  double num(size_t i) {
    double v = 0;
    if (i >= argc || napi_get_value_double(env, argv[i], &v) != napi_ok) ok = false;
    return v;
  }
  int integer(size_t i) { return static_cast<int>(num(i)); }
  long lng(size_t i) { return static_cast<long>(num(i)); }
  bool flag(size_t i) { return num(i) != 0.0; }
  napi_value done() {
    if (!ok) napi_throw_type_error(env, nullptr, "procpt-native: bad arguments");
    return nullptr;
  }
  napi_value fail() {
    ok = false;
    return done();
  }
};

#define FN(name) napi_value name(napi_env env, napi_callback_info info)

// matmul(a, b, c, batch, M, N, K, transA, transB, strideA, strideB)
FN(Matmul) {
  Args a(env, info);
  const float* A = a.f32(0);
  const float* B = a.f32(1);
  float* C = a.f32(2);
  const int batch = a.integer(3), M = a.integer(4), N = a.integer(5), K = a.integer(6);
  const bool ta = a.flag(7), tb = a.flag(8);
  const long sA = a.lng(9), sB = a.lng(10);
  if (a.ok) procpt::kernels().sgemm_batched(batch, ta, tb, M, N, K, A, sA, B, sB, C);
  return a.done();
}
// gemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)
FN(Gemm) {
  Args a(env, info);
  const bool ta = a.flag(0), tb = a.flag(1);
  const int M = a.integer(2), N = a.integer(3), K = a.integer(4);
  const float alpha = (float)a.num(5);
  const float* A = a.f32(6);
  const int lda = a.integer(7);
  const float* B = a.f32(8);
  const int ldb = a.integer(9);
  const float beta = (float)a.num(10);
  float* C = a.f32(11);
  const int ldc = a.integer(12);
  if (a.ok) procpt::kernels().sgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, true);
  return a.done();
}
// binary(op, out, a, b, shape, stridesA, stridesB)
FN(Binary) {
  Args a(env, info);
  const int op = a.integer(0);
  float* out = a.f32(1);
  const float* x = a.f32(2);
  const float* y = a.f32(3);
  const int32_t* shape = a.i32(4);
  const int32_t* sa = a.i32(5);
  const int32_t* sb = a.i32(6);
  const int rank = a.integer(7);
  if (a.ok) procpt::kernels().binary(op, out, x, y, rank, shape, sa, sb);
  return a.done();
}
// unary(op, out, x, n, alpha)
FN(Unary) {
  Args a(env, info);
  const int op = a.integer(0);
  float* out = a.f32(1);
  const float* x = a.f32(2);
  const long n = a.lng(3);
  const float alpha = (float)a.num(4);
  if (a.ok) procpt::kernels().unary(op, out, x, n, alpha);
  return a.done();
}
FN(Softmax) {
  Args a(env, info);
  float* out = a.f32(0);
  const float* x = a.f32(1);
  const long rows = a.lng(2);
  const int cols = a.integer(3);
  if (a.ok) procpt::kernels().softmax_rows(out, x, rows, cols);
  return a.done();
}
FN(ReduceRows) {
  Args a(env, info);
  const int op = a.integer(0);
  float* out = a.f32(1);
  const float* x = a.f32(2);
  const long rows = a.lng(3), cols = a.lng(4);
  if (a.ok) procpt::kernels().reduce_rows(op, out, x, rows, cols);
  return a.done();
}
FN(SumCols) {
  Args a(env, info);
  float* out = a.f32(0);
  const float* x = a.f32(1);
  const long rows = a.lng(2), cols = a.lng(3);
  if (a.ok) procpt::kernels().sum_cols(out, x, rows, cols);
  return a.done();
}
// transpose(out, x, shape, perm, rank)
FN(Transpose) {
  Args a(env, info);
  float* out = a.f32(0);
  const float* x = a.f32(1);
  const int32_t* shape = a.i32(2);
  const int32_t* perm = a.i32(3);
  const int rank = a.integer(4);
  if (a.ok && rank >= 1 && rank <= 8) procpt::kernels().transpose(out, x, rank, shape, perm);
  return a.done();
}
// copyBlock(dst, dstShape, dstBegin, src, srcShape, srcBegin, size, rank)
FN(CopyBlock) {
  Args a(env, info);
  float* dst = a.f32(0);
  const int32_t* dshape = a.i32(1);
  const int32_t* dbegin = a.i32(2);
  const float* src = a.f32(3);
  const int32_t* sshape = a.i32(4);
  const int32_t* sbegin = a.i32(5);
  const int32_t* size = a.i32(6);
  const int rank = a.integer(7);
  if (a.ok && rank >= 1 && rank <= 8) procpt::kernels().copy_block(dst, dshape, dbegin, src, sshape, sbegin, size, rank);
  return a.done();
}
FN(GatherRows) {
  Args a(env, info);
  float* out = a.f32(0);
  const float* x = a.f32(1);
  const int32_t* idx = a.i32(2);
  const long n = a.lng(3), rows = a.lng(4), cols = a.lng(5);
  if (a.ok) procpt::kernels().gather_rows(out, x, idx, n, rows, cols);
  return a.done();
}
FN(SegmentSumRows) {
  Args a(env, info);
  float* out = a.f32(0);
  const float* x = a.f32(1);
  const int32_t* ids = a.i32(2);
  const long n = a.lng(3), segments = a.lng(4), cols = a.lng(5);
  if (a.ok) procpt::kernels().segment_sum_rows(out, x, ids, n, segments, cols);
  return a.done();
}
// adamw(p, g, m, v, n, lr, beta1, beta2, eps, weightDecay, biasCorrection1, biasCorrection2, gradScale)
FN(AdamW) {
  Args a(env, info);
  float* p = a.f32(0);
  const float* g = a.f32(1);
  float* m = a.f32(2);
  float* v = a.f32(3);
  const long n = a.lng(4);
  const float lr = (float)a.num(5), b1 = (float)a.num(6), b2 = (float)a.num(7), eps = (float)a.num(8),
              wd = (float)a.num(9), bc1 = (float)a.num(10), bc2 = (float)a.num(11), gs = (float)a.num(12);
  if (a.ok) procpt::kernels().adamw(p, g, m, v, n, lr, b1, b2, eps, wd, bc1, bc2, gs);
  return a.done();
}
// sumSquares(arrays: Float32Array[]) -> number: Σ x² over every element of every array, in double
FN(SumSquares) {
  Args a(env, info);
  bool isArray = false;
  uint32_t count = 0;
  if (a.argc < 1 || napi_is_array(env, a.argv[0], &isArray) != napi_ok || !isArray ||
      napi_get_array_length(env, a.argv[0], &count) != napi_ok)
    return a.fail();
  std::vector<const float*> ptrs(count);
  std::vector<long> lengths(count);
  for (uint32_t i = 0; i < count; ++i) {
    napi_value item;
    napi_typedarray_type type;
    size_t length;
    void* data = nullptr;
    napi_value buffer;
    size_t offset;
    if (napi_get_element(env, a.argv[0], i, &item) != napi_ok ||
        napi_get_typedarray_info(env, item, &type, &length, &data, &buffer, &offset) != napi_ok ||
        type != napi_float32_array)
      return a.fail();
    ptrs[i] = static_cast<const float*>(data);
    lengths[i] = static_cast<long>(length);
  }
  const double sum = procpt::kernels().sum_squares(ptrs.data(), lengths.data(), static_cast<int>(count));
  napi_value out;
  napi_create_double(env, sum, &out);
  return out;
}
// Attention dropout from (rate, seed) at argv[i], argv[i + 1]; the seed is an integer-valued double.
procpt::AttnDropout attn_dropout(Args& a, size_t i) {
  procpt::AttnDropout drop;
  drop.rate = (float)a.num(i);
  drop.seed = (uint64_t)(int64_t)a.num(i + 1);
  return drop;
}
// attentionForward(qkv, out, probs, B, T, H, dh, scale, dropout, seed)
FN(AttentionForward) {
  Args a(env, info);
  const float* qkv = a.f32(0);
  float* out = a.f32(1);
  float* probs = a.f32(2);
  const int B = a.integer(3), T = a.integer(4), H = a.integer(5), dh = a.integer(6);
  const float scale = (float)a.num(7);
  const procpt::AttnDropout drop = attn_dropout(a, 8);
  if (a.ok) procpt::kernels().attention_fwd(qkv, out, probs, B, T, H, dh, scale, drop);
  return a.done();
}
// attentionBackward(dy, qkv, probs, dqkv, B, T, H, dh, scale, dropout, seed)
FN(AttentionBackward) {
  Args a(env, info);
  const float* dy = a.f32(0);
  const float* qkv = a.f32(1);
  const float* probs = a.f32(2);
  float* dqkv = a.f32(3);
  const int B = a.integer(4), T = a.integer(5), H = a.integer(6), dh = a.integer(7);
  const float scale = (float)a.num(8);
  const procpt::AttnDropout drop = attn_dropout(a, 9);
  if (a.ok) procpt::kernels().attention_bwd(dy, qkv, probs, dqkv, B, T, H, dh, scale, drop);
  return a.done();
}
// attentionDropoutMask(out, B, H, T, dropout, seed): the attention kernels' keep-mask (tests)
FN(AttentionDropoutMask) {
  Args a(env, info);
  float* out = a.f32(0);
  const int B = a.integer(1), H = a.integer(2), T = a.integer(3);
  const procpt::AttnDropout drop = attn_dropout(a, 4);
  if (a.ok) procpt::kernels().attention_dropout_mask(drop, B, H, T, out);
  return a.done();
}
// layerNormForward(x, g, b, y, mean, rstd, rows, D, eps)
FN(LayerNormForward) {
  Args a(env, info);
  const float* x = a.f32(0);
  const float* g = a.f32(1);
  const float* b = a.f32(2);
  float* y = a.f32(3);
  float* mean = a.f32(4);
  float* rstd = a.f32(5);
  const long rows = a.lng(6);
  const int D = a.integer(7);
  const float eps = (float)a.num(8);
  if (a.ok) procpt::kernels().layernorm_fwd(x, g, b, y, mean, rstd, rows, D, eps);
  return a.done();
}
// layerNormBackward(dy, x, g, mean, rstd, dx, dg, db, rows, D)
FN(LayerNormBackward) {
  Args a(env, info);
  const float* dy = a.f32(0);
  const float* x = a.f32(1);
  const float* g = a.f32(2);
  const float* mean = a.f32(3);
  const float* rstd = a.f32(4);
  float* dx = a.f32(5);
  float* dg = a.f32(6);
  float* db = a.f32(7);
  const long rows = a.lng(8);
  const int D = a.integer(9);
  if (a.ok) procpt::kernels().layernorm_bwd(dy, x, g, mean, rstd, dx, dg, db, rows, D);
  return a.done();
}
FN(BiasGeluForward) {
  Args a(env, info);
  const float* x = a.f32(0);
  const float* bias = a.f32(1);
  float* y = a.f32(2);
  const long rows = a.lng(3);
  const int F = a.integer(4);
  if (a.ok) procpt::kernels().bias_gelu_fwd(x, bias, y, rows, F);
  return a.done();
}
FN(BiasGeluBackward) {
  Args a(env, info);
  const float* dy = a.f32(0);
  const float* x = a.f32(1);
  const float* bias = a.f32(2);
  float* dx = a.f32(3);
  float* db = a.f32(4);
  const long rows = a.lng(5);
  const int F = a.integer(6);
  if (a.ok) procpt::kernels().bias_gelu_bwd(dy, x, bias, dx, db, rows, F);
  return a.done();
}
// maskedCrossEntropy(h, w, targets, weights, N, V, d, lossCorrect(Float64Array[2]), dh|null, dw|null[, maxChunkRows])
FN(MaskedCrossEntropy) {
  Args a(env, info);
  const float* h = a.f32(0);
  const float* w = a.f32(1);
  const int32_t* targets = a.i32(2);
  const float* weights = a.f32(3);
  const long N = a.lng(4);
  const int V = a.integer(5), d = a.integer(6);
  double* lc = a.f64(7);
  napi_valuetype t8 = napi_null, t9 = napi_null;
  if (a.argc > 9) {
    napi_typeof(env, a.argv[8], &t8);
    napi_typeof(env, a.argv[9], &t9);
  }
  float* dh = t8 == napi_object ? a.f32(8) : nullptr;
  float* dw = t9 == napi_object ? a.f32(9) : nullptr;
  const long maxChunkRows = a.argc > 10 ? a.lng(10) : 0;
  if (a.ok) procpt::kernels().masked_ce(h, w, targets, weights, N, V, d, lc, dh, dw, maxChunkRows);
  return a.done();
}

// measurePeakFlops(threads, seconds) -> FLOP/s
FN(MeasurePeakFlops) {
  Args a(env, info);
  const int threads = a.integer(0);
  const double seconds = a.num(1);
  if (threads < 1 || threads > 1024 || !(seconds > 0) || seconds > 60) a.ok = false;
  if (!a.ok) return a.done();
  napi_value v;
  napi_create_double(env, procpt::kernels().peak_flops(threads, seconds), &v);
  return v;
}

FN(Info) {
  Args a(env, info);
  const procpt::Kernels& k = procpt::kernels();
  napi_value obj, v;
  napi_create_object(env, &obj);
  napi_create_int32(env, procpt::num_threads(), &v);
  napi_set_named_property(env, obj, "threads", v);
  napi_get_boolean(env, std::strcmp(k.name, "base") != 0, &v);  // AVX2/FMA kernels (also in the AVX-512 tier)
  napi_set_named_property(env, obj, "avx2", v);
#ifdef _OPENMP
  napi_get_boolean(env, true, &v);
#else
  napi_get_boolean(env, false, &v);
#endif
  napi_set_named_property(env, obj, "openmp", v);
  napi_create_int32(env, k.peak_lanes(), &v);
  napi_set_named_property(env, obj, "lanes", v);
  napi_create_string_utf8(env, k.name, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, "isa", v);
  napi_create_string_utf8(env, k.description, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, "isaLabel", v);
  const char* names[8];
  const int n = procpt::supported_tiers(names, 8);
  napi_value list;
  napi_create_array_with_length(env, n, &list);
  for (int i = 0; i < n; ++i) {
    napi_create_string_utf8(env, names[i], NAPI_AUTO_LENGTH, &v);
    napi_set_element(env, list, i, v);
  }
  napi_set_named_property(env, obj, "isas", list);
  return obj;
}

// setIsa(name) -> boolean: switches the kernels to CPU tier `name` ("avx512", "avx2", "base") if this binary has
// it and this CPU runs it (benchmarks, bit-identity checks and tests of the lower tiers).
FN(SetIsa) {
  Args a(env, info);
  char name[32] = {0};
  size_t len = 0;
  if (a.argc < 1 || napi_get_value_string_utf8(env, a.argv[0], name, sizeof name, &len) != napi_ok) return a.fail();
  napi_value v;
  napi_get_boolean(env, procpt::select_tier(name), &v);
  return v;
}

FN(SetThreads) {
  Args a(env, info);
  const int n = a.integer(0);
#ifdef _OPENMP
  if (a.ok && n > 0) omp_set_num_threads(n);
#else
  (void)n;
#endif
  return a.done();
}

napi_value Init(napi_env env, napi_value exports) {
  const struct {
    const char* name;
    napi_callback cb;
  } fns[] = {{"matmul", Matmul},
             {"gemm", Gemm},
             {"binary", Binary},
             {"unary", Unary},
             {"softmax", Softmax},
             {"reduceRows", ReduceRows},
             {"sumCols", SumCols},
             {"transpose", Transpose},
             {"gatherRows", GatherRows},
             {"copyBlock", CopyBlock},
             {"segmentSumRows", SegmentSumRows},
             {"adamw", AdamW},
             {"sumSquares", SumSquares},
             {"attentionForward", AttentionForward},
             {"attentionBackward", AttentionBackward},
             {"attentionDropoutMask", AttentionDropoutMask},
             {"layerNormForward", LayerNormForward},
             {"layerNormBackward", LayerNormBackward},
             {"biasGeluForward", BiasGeluForward},
             {"biasGeluBackward", BiasGeluBackward},
             {"maskedCrossEntropy", MaskedCrossEntropy},
             {"measurePeakFlops", MeasurePeakFlops},
             {"info", Info},
             {"setIsa", SetIsa},
             {"setThreads", SetThreads}};
  for (const auto& f : fns) {
    napi_value fn;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.cb, nullptr, &fn);
    napi_set_named_property(env, exports, f.name, fn);
  }
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
