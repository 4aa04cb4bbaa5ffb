{
  # The addon: node-addon-api glue (addon/src) over the same core sources
  # CMake builds (native/src). scripts/gyp-sources.js globs both, so a new
  # file needs no edit here. Run through scripts/build-addon.js (npm install)
  # when no prebuild matches (scripts/install.js). This build links the
  # host's OpenSSL; the prebuilds link their own (scripts/prebuild.sh).
  # cpp-httplib, spdlog and fmt come from third_party/ as headers; libsecret
  # is loaded at run time (native/src/sources/secret_api.h), so only its
  # headers are needed here.
  "targets": [
    {
      "target_name": "keyref",
      "sources": ["<!@(node scripts/gyp-sources.js)"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native/include",
        "native/src",
        "third_party/cpp-httplib",
        "third_party/spdlog/include",
        "third_party/fmt/include"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "CPPHTTPLIB_OPENSSL_SUPPORT",
        "SPDLOG_FMT_EXTERNAL",
        "FMT_HEADER_ONLY"
      ],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": [
        "-fexceptions",
        "-frtti",
        "-fvisibility=hidden",
        "-fstack-protector-strong",
        "-D_FORTIFY_SOURCE=2",
        "<!@(pkg-config --cflags libsecret-1 nlohmann_json openssl)"
      ],
      "libraries": [
        "<!@(pkg-config --libs openssl)",
        "-ldl"
      ],
      # -z nodelete: the addon is never unloaded (libsecret, once loaded, is
      # kept with RTLD_NODELETE too).
      # Node dlcloses an addon when the last worker that loaded it exits;
      # libsecret registers GObject types that cannot be unregistered, so a
      # reload would crash (seen in test/node/secrets_lifecycle.test.js).
      "ldflags": ["-Wl,-z,relro,-z,now", "-Wl,-z,nodelete"]
    }
  ]
}
