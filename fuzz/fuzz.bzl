"""mailshake_fuzzer: one libFuzzer harness, replayed as an ordinary test.

Every harness defines `extern "C" int LLVMFuzzerTestOneInput(const uint8_t*,
size_t)`. The macro makes:

  <name>_replay  cc_test: the harness linked with //fuzz:replay_main, run over
                 every file of corpora/<name>/ and regressions/<name>/, and of
                 corpora/<other>/ and regressions/<other>/ for each <other> in
                 replay_corpora (harnesses that read the same kind of input),
                 so a plain `bazel test` (gcc, no libFuzzer) exercises each
                 corpus against every harness it fits.
  <name>         cc_binary: under --config=fuzz (--define=fuzzing=libfuzzer)
                 linked with -fsanitize=fuzzer; otherwise the replay build, so
                 it still runs on a list of files or directories.
  <name>_corpus  filegroup of the seed corpus and regressions.

Fuzz with, e.g.:
  bazel build --config=fuzz //fuzz:x509_fuzzer
  bazel-bin/fuzz/x509_fuzzer -dict=fuzz/dicts/x509.dict -max_total_time=60 \
      fuzz/corpora/x509_fuzzer
"""

def mailshake_fuzzer(name, srcs, deps = [], dict = None, replay_corpora = [],
                     **kwargs):
    """Declares a fuzz harness and its corpus replay test.

    Args:
      name: harness name; its seeds live in corpora/<name>/ and crash
        reproducers worth keeping in regressions/<name>/.
      srcs: the harness sources (one defines LLVMFuzzerTestOneInput).
      deps: libraries the harness uses.
      dict: optional libFuzzer dictionary file, carried as data.
      replay_corpora: names of other harnesses whose corpora and regressions
        the replay test also runs this harness over.
      **kwargs: passed to both the binary and the test (e.g. copts).
    """
    corpus = native.glob(
        ["corpora/%s/**" % name, "regressions/%s/**" % name],
        allow_empty = True,
    )
    native.filegroup(
        name = name + "_corpus",
        srcs = corpus,
    )
    data = [":%s_corpus" % name] + ([dict] if dict else [])
    others = [other for other in replay_corpora if other != name]
    replay_data = data + [":%s_corpus" % other for other in others]
    replay_args = []
    if corpus:
        replay_args.append("$(locations :%s_corpus)" % name)
    for other in others:
        replay_args.append("$(locations :%s_corpus)" % other)

    # Bazel links with the C driver, which leaves out UBSan's C++ runtime
    # (e.g. __ubsan_handle_function_type_mismatch_v1); ask for it.
    sanitizer_runtime = select({
        "//fuzz:libfuzzer": ["-fsanitize-link-c++-runtime"],
        "//conditions:default": [],
    })

    native.cc_test(
        name = name + "_replay",
        srcs = srcs,
        deps = deps + ["//fuzz:replay_main"],
        data = replay_data,
        args = replay_args,
        linkopts = sanitizer_runtime,
        **kwargs
    )

    native.cc_binary(
        name = name,
        srcs = srcs,
        deps = deps + select({
            "//fuzz:libfuzzer": ["//fuzz:sanitizer_options"],
            "//conditions:default": ["//fuzz:replay_main"],
        }),
        linkopts = sanitizer_runtime + select({
            "//fuzz:libfuzzer": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
        # Coverage feedback comes from the code under test only: the
        # harness's own code (oracles, reference models, split_input.h,
        # fuzz_check.h) is built without fuzzer-no-link (no edge counters,
        # no comparison tracing), so libFuzzer neither spends time on it nor
        # keeps inputs for reaching a new edge of a model. The sanitizers
        # stay on it.
        copts = select({
            "//fuzz:libfuzzer": ["-fno-sanitize=fuzzer,fuzzer-no-link"],
            "//conditions:default": [],
        }),
        data = data,
        **kwargs
    )
