#!/usr/bin/env python3
"""Writes the generated seeds of hostname_fuzzer.

Usage: fuzz/make_hostname_seeds.py [FUZZ_DIR]   (default: the folder of this file)

An input is "<presented>\\n<reference>" (without a newline the whole input
is both). These seeds reach what the hand-written ones (the corpus's other
named files) do not: iPAddress SANs against IP and DNS references, and the
rule-set names (ParseNameRules, NameRulesName). Seeds are named seed-*;
rerunning rewrites them and leaves merged inputs alone.
"""

from seed_writer import write_seeds

SEEDS = {
    # The presented IP literal becomes an iPAddress SAN (hostname_fuzzer's
    # CheckIpSan): the same address in another spelling matches, another
    # address or a DNS reference does not.
    "ip-v4-same": b"192.0.2.1\n192.0.2.1",
    "ip-v4-differs": b"192.0.2.1\n192.0.2.2",
    "ip-v6-spelling": b"2001:db8:0:0::1\n2001:DB8::1",
    "ip-v6-mapped-v4": b"::ffff:192.0.2.1\n192.0.2.1",
    "ip-san-dns-reference": b"192.0.2.1\nmail.example.com",
    "ip-leading-zero": b"192.0.2.01\n192.0.2.1",
    # Rule-set names, in any case; an unknown one is refused.
    "rules-name-rfc9525": b"rfc9525",
    "rules-name-rfc6125": b"RFC6125",
    "rules-name-mta-sts": b"Mta-Sts",
    "rules-name-postfix": b"postfix",
    "rules-name-exchange": b"EXCHANGE",
    "rules-name-unknown": b"rfc2818",
}


def main():
    write_seeds("hostname_fuzzer", SEEDS)


if __name__ == "__main__":
    main()
