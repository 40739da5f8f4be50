// The AVX-512 (x86-64-v4) tier of ../table.cc (see ../tier.h).
#define PROCPT_TIER_AVX512 1
#include "../table.cc"
