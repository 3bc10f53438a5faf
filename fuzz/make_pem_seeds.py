#!/usr/bin/env python3
"""Writes the generated seeds of pem_fuzzer.

Usage: fuzz/make_pem_seeds.py [FUZZ_DIR]   (default: the folder of this file)

The rest of the PEM corpus is the certificates of testdata/x509 and what
campaigns merged in. These seeds reach DecodePemCertificates' limits (x509.h:
kMaxPemCertificates blocks, a block's base64 at most twice
kMaxCertificateBytes), at and one past each. Seeds are named seed-*;
rerunning rewrites them and leaves merged inputs alone.
"""

from seed_writer import write_seeds

MAX_PEM_CERTIFICATES = 64
MAX_CERTIFICATE_BYTES = 64 * 1024


def block(base64, label=b"CERTIFICATE"):
    lines = [base64[i:i + 64] for i in range(0, len(base64), 64)]
    return (b"-----BEGIN " + label + b"-----\n" + b"".join(l + b"\n" for l in lines) +
            b"-----END " + label + b"-----\n")


SEEDS = {
    # One-octet blocks (not certificates: decoding succeeds, the chain fails).
    "blocks-at-limit": block(b"AQ==") * MAX_PEM_CERTIFICATES,
    "blocks-over-limit": block(b"AQ==") * (MAX_PEM_CERTIFICATES + 1),
    # A block's base64 at the size limit, and four characters past it.
    "base64-at-limit": block(b"A" * (2 * MAX_CERTIFICATE_BYTES)),
    "base64-over-limit": block(b"A" * (2 * MAX_CERTIFICATE_BYTES + 4)),
}


def main():
    write_seeds("pem_fuzzer", SEEDS)


if __name__ == "__main__":
    main()
