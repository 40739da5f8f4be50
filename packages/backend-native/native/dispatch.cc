// Chooses the CPU tier (tier.h) at load time: the best one this binary carries and this CPU runs. The avx2 and
// avx512 tables are weak references, so builds without those tiers (other architectures) link and fall back to
// the baseline.
#include "common.h"

namespace procpt {
namespace base {
extern const Kernels table;
}
namespace avx2 {
extern const Kernels table __attribute__((weak));
}
namespace avx512 {
extern const Kernels table __attribute__((weak));
}

namespace {

// x86-64-v3 / -v4 as GCC defines them (__builtin_cpu_supports also checks that the OS saves the AVX registers).
bool cpu_runs(const char* tier) {
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
  __builtin_cpu_init();
  if (std::strcmp(tier, "avx2") == 0) return __builtin_cpu_supports("x86-64-v3");
  if (std::strcmp(tier, "avx512") == 0) return __builtin_cpu_supports("x86-64-v4");
#elif defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  // older compilers: the features that matter (every CPU with them also has F16C, LZCNT and MOVBE)
  __builtin_cpu_init();
  const bool v3 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                  __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2") &&
                  __builtin_cpu_supports("popcnt") && __builtin_cpu_supports("sse4.2");
  if (std::strcmp(tier, "avx2") == 0) return v3;
  if (std::strcmp(tier, "avx512") == 0)
    return v3 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512vl");
#endif
  return std::strcmp(tier, "base") == 0;
}

// Best first.
const Kernels* compiled(int i) {
  switch (i) {
    case 0: return &avx512::table;
    case 1: return &avx2::table;
    case 2: return &base::table;
    default: return nullptr;
  }
}
constexpr int kTiers = 3;

const Kernels* best() {
  for (int i = 0; i < kTiers; ++i) {
    const Kernels* k = compiled(i);
    if (k != nullptr && cpu_runs(k->name)) return k;
  }
  return &base::table;
}

const Kernels* active = nullptr;

}  // namespace

const Kernels& kernels() {
  if (active == nullptr) active = best();
  return *active;
}

bool select_tier(const char* name) {
  for (int i = 0; i < kTiers; ++i) {
    const Kernels* k = compiled(i);
    if (k != nullptr && std::strcmp(k->name, name) == 0 && cpu_runs(k->name)) {
      active = k;
      return true;
    }
  }
  return false;
}

int supported_tiers(const char** names, int max) {
  int n = 0;
  for (int i = 0; i < kTiers && n < max; ++i) {
    const Kernels* k = compiled(i);
    if (k != nullptr && cpu_runs(k->name)) names[n++] = k->name;
  }
  return n;
}

}  // namespace procpt
