{
  "targets": [
    {
      "target_name": "iochunt",
      "sources": ["src/addon.cc", "src/matcher.cc", "src/classify.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "IOCHUNT_ADDON_VERSION=\"<!(node -p \"require('../package.json').version\")\""
      ],
      "cflags!": ["-fno-exceptions", "-O2"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-O2"],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "<!@(pkg-config --cflags libhs)"],
      "libraries": ["<!@(pkg-config --libs libhs)"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "OTHER_CPLUSPLUSFLAGS": ["-O3", "<!@(pkg-config --cflags libhs)"]
      }
    }
  ]
}
