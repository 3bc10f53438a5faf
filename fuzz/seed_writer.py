"""Writes a harness's seeds into its corpus folder, one file per seed.

  write_seeds("pem_fuzzer", {"name": b"bytes", ...})

writes fuzz/corpora/pem_fuzzer/seed-NAME for each seed, or under the fuzz
folder given as the script's first argument (to generate into a scratch copy).
"""

import os
import sys


def write_seeds(harness, seeds):
    fuzz_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(fuzz_dir, "corpora", harness)
    os.makedirs(out, exist_ok=True)
    for name, seed in seeds.items():
        with open(os.path.join(out, "seed-" + name), "wb") as f:
            f.write(seed)
    print("wrote %d seeds to %s" % (len(seeds), out))
