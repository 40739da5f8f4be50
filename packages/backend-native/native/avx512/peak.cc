// The AVX-512 (x86-64-v4) tier of ../peak.cc (see ../tier.h).
#define PROCPT_TIER_AVX512 1
#include "../peak.cc"
