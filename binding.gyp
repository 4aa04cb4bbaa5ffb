{
  # The addon: node-addon-api glue (addon/src) over the same core sources
  # CMake builds (native/src). scripts/gyp-sources.js globs both, so a new
  # file needs no edit here. Run through scripts/build-addon.js (npm install)
  # when no prebuild matches (scripts/install.js). This build links the
  # host's OpenSSL; the prebuilds link their own (scripts/prebuild.sh).
  # cpp-httplib, spdlog and fmt come from third_party/ as headers; libsecret
  # is loaded at run time (native/src/sources/secret_api.h), so only its
  # headers are needed here.
  #
  # Everything but the test hooks is compiled once into a static library;
  # keyref.node (shipped) links it with addon/src/test_hooks.cc compiled
  # WITHOUT KEYREF_TEST_HOOKS, so it has no hooks at all. Only when
  # keyref_test_hooks=1 (scripts/build-addon.js --test-hooks, which the test
  # scripts use; never npm install) is keyref_test_hooks.node built too, the
  # same addon with the hooks compiled in (docs/threat-model.md).
  "variables": {
    "keyref_test_hooks%": 0
  },
  "target_defaults": {
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
    ]
  },
  "targets": [
    {
      "target_name": "keyref_core",
      "type": "static_library",
      "sources": ["<!@(node scripts/gyp-sources.js)"],
      "cflags": ["-fPIC"],
      "link_settings": {
        "libraries": [
          "<!@(pkg-config --libs openssl)",
          "-ldl"
        ],
        # -z nodelete: the addon is never unloaded (libsecret, once loaded,
        # is kept with RTLD_NODELETE too).
        # Node dlcloses an addon when the last worker that loaded it exits;
        # libsecret registers GObject types that cannot be unregistered, so
        # a reload would crash (seen in test/node/secrets_lifecycle.test.js).
        "ldflags": ["-Wl,-z,relro,-z,now", "-Wl,-z,nodelete"]
      }
    },
    {
      "target_name": "keyref",
      "dependencies": ["keyref_core"],
      "sources": ["<!@(node scripts/gyp-sources.js --per-variant)"]
    },
    {
      # The `keyref` command (cli/, docs/cli.md) from the package build, so
      # `npx keyref` works after npm install (bin/keyref.js finds
      # build/Release/keyref). Plain C++: it uses the core only, no Node.
      "target_name": "keyref_cli",
      "type": "executable",
      "product_name": "keyref",
      "dependencies": ["keyref_core"],
      "include_dirs": ["cli"],
      "sources": ["<!@(node scripts/gyp-sources.js --cli)"]
    }
  ],
  "conditions": [
    ["keyref_test_hooks==1", {
      "targets": [
        {
          "target_name": "keyref_test_hooks",
          "dependencies": ["keyref_core"],
          "sources": ["<!@(node scripts/gyp-sources.js --per-variant)"],
          "defines": ["KEYREF_TEST_HOOKS"]
        }
      ]
    }]
  ]
}
