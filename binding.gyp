{
  # Second build of the addon, for node-gyp users; CMakeLists.txt is the primary one.
  # LibTorch comes from scripts/setup-libtorch.sh (system libtorch-dev, $LIBTORCH or a PyTorch install).
  "variables": {
    "torch_prefix%": "<!(bash scripts/setup-libtorch.sh --print-prefix)"
  },
  "targets": [
    {
      "target_name": "restoregrad",
      "sources": [
        "<!@(node -p \"['native/core', 'native/core/nets', 'native/addon'].flatMap((d) => require('fs').readdirSync(d).filter((f) => f.endsWith('.cpp')).map((f) => d + '/' + f)).join(' ')\")"
      ],
      "include_dirs": [
        "native/core",
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<(torch_prefix)/include",
        "<(torch_prefix)/include/torch/csrc/api/include"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      # node-gyp compiles without exceptions and RTTI; LibTorch's headers and the addon need both.
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-Wno-unused-parameter"],
      "libraries": [
        "-L<(torch_prefix)/lib",
        "-Wl,-rpath,<(torch_prefix)/lib",
        "-ltorch",
        "-ltorch_cpu",
        "-lc10"
      ],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "GCC_ENABLE_CPP_RTTI": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17"
      }
    }
  ]
}
