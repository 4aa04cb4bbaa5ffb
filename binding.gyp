{
  # The addon: node-addon-api glue (addon/src) over the same core sources
  # CMake builds (native/src). scripts/gyp-sources.js globs both, so a new
  # file needs no edit here. Run through scripts/build-addon.js (npm install).
  "targets": [
    {
      "target_name": "keyref",
      "sources": ["<!@(node scripts/gyp-sources.js)"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native/include",
        "native/src"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "CPPHTTPLIB_OPENSSL_SUPPORT"
      ],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": [
        "-fexceptions",
        "-frtti",
        "-fvisibility=hidden",
        "-fstack-protector-strong",
        "-D_FORTIFY_SOURCE=2",
        "<!@(pkg-config --cflags libsecret-1 spdlog nlohmann_json cpp-httplib openssl)"
      ],
      "libraries": [
        "<!@(pkg-config --libs libsecret-1 spdlog cpp-httplib openssl)"
      ],
      # -z nodelete: the addon (and with it libsecret) is never unloaded.
      # Node dlcloses an addon when the last worker that loaded it exits;
      # libsecret registers GObject types that cannot be unregistered, so a
      # reload would crash (seen in test/node/secrets_lifecycle.test.js).
      "ldflags": ["-Wl,-z,relro,-z,now", "-Wl,-z,nodelete"]
    }
  ]
}
