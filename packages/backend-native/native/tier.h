// CPU tiers. Every kernel source is compiled once per tier: directly for the baseline (`base`: x86-64 with SSE2,
// or the target's default ISA elsewhere, e.g. armv8-a with NEON), and on x86-64 again through the wrappers in
// avx2/ (x86-64-v3: AVX2, FMA, BMI1/2, F16C, LZCNT, MOVBE) and avx512/ (x86-64-v4: + AVX-512 F/BW/CD/DQ/VL), which
// define PROCPT_TIER_AVX2 / PROCPT_TIER_AVX512 and include it. Each tier's code sits between PROCPT_TIER_BEGIN and
// PROCPT_TIER_END: in namespace procpt::<tier>, under `#pragma GCC target(<that tier's extensions>)`. So one binary
// built for plain x86-64 carries all three and dispatch.cc picks one at load time (__builtin_cpu_supports).
//
// Why this is safe and keeps the numbers: the pragma only adds ISA extensions (no arch= or tune=: GCC refuses to
// inline across different arch/tune, so std::min or vector::operator[] would stop inlining); the code generated
// is the same as a -march=x86-64-v3 / -v4 build (bench/kernel-digest.mjs compares them bit for bit). Everything
// compiled under the pragma has the tier in its mangled name, and the standard library's templates are declared
// before the pragma (common.h includes them first) and so compile for the baseline wherever they are instantiated:
// no inline function or template instance with AVX instructions can be shared with, and picked by the linker for,
// a lower tier.
#pragma once

#define PROCPT_PRAGMA(x) _Pragma(#x)

#if defined(PROCPT_TIER_AVX512) || defined(PROCPT_TIER_AVX2)
#if !defined(__x86_64__)
#error "the avx2/avx512 tiers are x86-64 only (binding.gyp lists them for target_arch x64)"
#endif
#define PROCPT_AVX2 1
// exactly the extensions -march=x86-64-v3 / -v4 add to -march=x86-64 (gcc -Q --help=target)
#ifdef PROCPT_TIER_AVX512
#define PROCPT_AVX512 1
#define PROCPT_TIER avx512
#define PROCPT_TIER_ISA \
  "sse3,ssse3,sse4.1,sse4.2,popcnt,cx16,sahf,avx,avx2,bmi,bmi2,f16c,fma,lzcnt,movbe,xsave,avx512f,avx512bw,avx512cd,avx512dq,avx512vl"
#else
#define PROCPT_TIER avx2
#define PROCPT_TIER_ISA "sse3,ssse3,sse4.1,sse4.2,popcnt,cx16,sahf,avx,avx2,bmi,bmi2,f16c,fma,lzcnt,movbe,xsave"
#endif
#if defined(__clang__)
// clang has no `#pragma GCC target`; its attribute pragma does the same (not covered by the repository's tests)
#define PROCPT_TARGET_PUSH(isa) PROCPT_PRAGMA(clang attribute push(__attribute__((target(isa))), apply_to = function))
#define PROCPT_TARGET_POP PROCPT_PRAGMA(clang attribute pop)
#else
#define PROCPT_TARGET_PUSH(isa) PROCPT_PRAGMA(GCC push_options) PROCPT_PRAGMA(GCC target(isa))
#define PROCPT_TARGET_POP PROCPT_PRAGMA(GCC pop_options)
#endif
#define PROCPT_TIER_BEGIN \
  PROCPT_TARGET_PUSH(PROCPT_TIER_ISA) namespace procpt { namespace PROCPT_TIER {
#define PROCPT_TIER_END \
  } } PROCPT_TARGET_POP
#else
#define PROCPT_TIER base
#define PROCPT_TIER_BEGIN namespace procpt { namespace base {
#define PROCPT_TIER_END } }
#endif
