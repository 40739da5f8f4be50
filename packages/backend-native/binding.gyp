{
  "variables": {
    "procpt_march%": "native"
  },
  "targets": [
    {
      "target_name": "procpt_native",
      "sources": ["native/binding.cc", "native/gemm.cc", "native/ops.cc", "native/optim.cc", "native/attention.cc", "native/fused.cc", "native/peak.cc"],
      "defines": ["NAPI_VERSION=8"],
      "cflags!": ["-O2"],
      "cflags_cc!": ["-O2", "-fno-exceptions"],
      "cflags_cc": ["-O3", "-std=c++17", "-march=<(procpt_march)", "-fopenmp", "-fno-math-errno"],
      "ldflags": ["-fopenmp"]
    }
  ]
}
