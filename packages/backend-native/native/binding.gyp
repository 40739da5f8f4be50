{
  "variables": {
    "procpt_prebuilt%": 0
  },
  "targets": [
    {
      "target_name": "procpt_native",
      "sources": [
        "binding.cc",
        "dispatch.cc",
        "gemm.cc",
        "ops.cc",
        "optim.cc",
        "attention.cc",
        "fused.cc",
        "peak.cc",
        "table.cc"
      ],
      "defines": ["NAPI_VERSION=8"],
      "cflags!": ["-O2"],
      "cflags_cc!": ["-O2", "-fno-exceptions"],
      "cflags_cc": ["-O3", "-std=c++17", "-fopenmp", "-fno-math-errno"],
      "ldflags": ["-fopenmp"],
      "conditions": [
        [
          "target_arch=='x64'",
          {
            "sources": [
              "avx2/gemm.cc",
              "avx2/ops.cc",
              "avx2/optim.cc",
              "avx2/attention.cc",
              "avx2/fused.cc",
              "avx2/peak.cc",
              "avx2/table.cc",
              "avx512/gemm.cc",
              "avx512/ops.cc",
              "avx512/optim.cc",
              "avx512/attention.cc",
              "avx512/fused.cc",
              "avx512/peak.cc",
              "avx512/table.cc"
            ],
            "cflags_cc": ["-march=x86-64", "-mtune=generic"]
          }
        ],
        ["target_arch=='arm64'", { "cflags_cc": ["-march=armv8-a"] }],
        ["procpt_prebuilt==1", { "defines": ["PROCPT_GLIBC_COMPAT=1"] }]
      ]
    }
  ]
}
