// This tier's kernel table (common.h's Kernels), one of those dispatch.cc chooses from.
#include "kernels.h"

PROCPT_TIER_BEGIN

extern const Kernels table;
const Kernels table = {
#if defined(PROCPT_AVX512)
    "avx512", "AVX-512 (x86-64-v4)",
#elif defined(PROCPT_AVX2)
    "avx2", "AVX2/FMA (x86-64-v3)",
#elif defined(__x86_64__)
    "base", "baseline x86-64 (SSE2)",
#elif defined(__aarch64__)
    "base", "baseline armv8-a (NEON by auto-vectorization)",
#else
    "base", "portable (auto-vectorized)",
#endif
    sgemm, sgemm_batched, binary, unary, softmax_rows, reduce_rows, sum_cols, copy_block, transpose, gather_rows,
    segment_sum_rows, adamw, sum_squares, attention_fwd, attention_bwd, attention_dropout_mask, layernorm_fwd,
    layernorm_bwd, bias_gelu_fwd, bias_gelu_bwd, masked_ce, peak_flops, peak_lanes,
};

PROCPT_TIER_END
