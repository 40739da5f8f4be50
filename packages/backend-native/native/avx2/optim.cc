// The AVX2/FMA (x86-64-v3) tier of ../optim.cc (see ../tier.h).
#define PROCPT_TIER_AVX2 1
#include "../optim.cc"
