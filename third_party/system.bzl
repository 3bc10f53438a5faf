"""Debian's system libraries as Bazel targets (@system//:boringssl, :absl, ...).

A repository rule rather than a hand-written BUILD file so that Abseil's link set
comes from pkg-config on the machine that builds, not from a list kept by hand.
"""

_ABSL_COMPONENTS = [
    "absl_flags",
    "absl_flags_parse",
    "absl_flags_usage",
    "absl_status",
    "absl_statusor",
    "absl_strings",
    "absl_str_format",
    "absl_time",
    "absl_synchronization",
    "absl_random_random",
    "absl_hash",
    "absl_raw_hash_set",
    "absl_log_severity",
    "absl_cord",
]

_BORINGSSL_LIBDIR = "/usr/lib/x86_64-linux-gnu/android"

def _pkg_config_libs(rctx, modules):
    result = rctx.execute(["pkg-config", "--libs"] + modules)
    if result.return_code != 0:
        fail("pkg-config failed for %s (run scripts/setup): %s" % (modules, result.stderr))
    return result.stdout.strip().split(" ")

# OpenMPI (libopenmpi-dev), used only by //:mailshake_mpi. Without it the
# :mpi target exists but is empty, so the default build never needs MPI.
def _mpi_target(rctx):
    cflags = rctx.execute(["pkg-config", "--cflags-only-I", "ompi-c"])
    libs = rctx.execute(["pkg-config", "--libs", "ompi-c"])
    if cflags.return_code != 0 or libs.return_code != 0:
        return """
# pkg-config knows no ompi-c: install libopenmpi-dev (scripts/setup) for //:mailshake_mpi.
cc_library(name = "mpi")
"""
    includes = []
    for i, flag in enumerate(cflags.stdout.strip().split(" ")):
        if flag.startswith("-I"):
            rctx.symlink(flag[2:], "include/mpi%d" % i)
            includes.append("include/mpi%d" % i)
    linkopts = libs.stdout.strip().split(" ")
    linkopts = linkopts + ["-Wl,-rpath," + f[2:] for f in linkopts if f.startswith("-L")]
    return """
cc_library(
    name = "mpi",
    hdrs = glob([{globs}]),
    includes = {includes},
    defines = ["OMPI_SKIP_MPICXX=1"],
    linkopts = {linkopts},
)
""".format(
        globs = ", ".join(['"%s/*.h"' % i for i in includes]),
        includes = repr(includes),
        linkopts = repr(linkopts),
    )

def _system_libraries_impl(rctx):
    rctx.symlink("/usr/include/android", "include/android")
    absl_libs = _pkg_config_libs(rctx, _ABSL_COMPONENTS)
    rctx.file("BUILD.bazel", """\
package(default_visibility = ["//visibility:public"])

# BoringSSL from android-libboringssl-dev. Its headers have the same names as
# OpenSSL's: only this target's include path may provide <openssl/...>.
cc_library(
    name = "boringssl",
    hdrs = glob(["include/android/openssl/*.h"]),
    includes = ["include/android"],
    linkopts = [
        "-L{libdir}",
        "-l:libssl.so.0",
        "-l:libcrypto.so.0",
        "-Wl,-rpath,{libdir}",
        "-lpthread",
    ],
)

# Abseil (libabsl-dev); the headers are on the default include path.
cc_library(
    name = "absl",
    linkopts = {absl},
)

cc_library(
    name = "gtest",
    linkopts = ["-lgmock", "-lgtest", "-lpthread"],
)

cc_library(
    name = "gtest_main",
    linkopts = ["-lgmock", "-lgtest_main", "-lgtest", "-lpthread"],
)

cc_library(
    name = "benchmark",
    linkopts = ["-lbenchmark", "-lpthread"],
)

cc_library(
    name = "benchmark_main",
    linkopts = ["-lbenchmark_main", "-lbenchmark", "-lpthread"],
)
""".format(libdir = _BORINGSSL_LIBDIR, absl = repr(absl_libs)) + _mpi_target(rctx))

system_libraries = repository_rule(
    implementation = _system_libraries_impl,
    local = True,
    doc = "Exposes Debian's BoringSSL, Abseil, GoogleTest and Google Benchmark.",
)
