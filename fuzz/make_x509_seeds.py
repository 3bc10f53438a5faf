#!/usr/bin/env python3
"""Writes seeds for the X.509 harnesses that the test certificates lack.

Usage: fuzz/make_x509_seeds.py [FUZZ_DIR]   (default: the folder of this file)

Each seed is testdata/x509/leaf-rsa2048.der with one part replaced, to reach
the parser's less common paths: RSA-PSS parameters, every GeneralName form
(directoryName, ediPartyName, otherName, x400Address, registeredID), and
each size and count limit of src/x509/x509.h at the limit and one past it.
The signatures no longer verify; the parsers do not check them. Seeds are
named seed-* and written to corpora/x509_fuzzer and
corpora/x509_differential_fuzzer.
"""

import os
import sys


def tlv(tag, contents):
    n = len(contents)
    if n < 0x80:
        length = bytes([n])
    else:
        octets = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(octets)]) + octets
    return bytes([tag]) + length + contents


def read_element(der, at):
    """Returns (tag, header_length, contents_length) of the element at |at|."""
    tag = der[at]
    first = der[at + 1]
    if first < 0x80:
        return tag, 2, first
    count = first & 0x7F
    return tag, 2 + count, int.from_bytes(der[at + 2:at + 2 + count], "big")


def children(der):
    """Splits the contents |der| into whole child elements."""
    out, at = [], 0
    while at < len(der):
        _, header, length = read_element(der, at)
        out.append(der[at:at + header + length])
        at += header + length
    return out


def contents(element):
    _, header, length = read_element(element, 0)
    return element[header:header + length]


def oid(text):
    arcs = [int(a) for a in text.split(".")]
    out = bytes([arcs[0] * 40 + arcs[1]])
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.insert(0, 0x80 | (arc & 0x7F))
            arc >>= 7
        out += bytes(chunk)
    return tlv(0x06, out)


SEQ, SET = 0x30, 0x31


class Leaf:
    """The leaf certificate split into the parts the seeds replace."""

    def __init__(self, der):
        cert = children(contents(der))
        self.tbs = children(contents(cert[0]))
        self.sig_alg = cert[1]
        self.sig = cert[2]

    def build(self, tbs=None, sig_alg=None):
        fields = tbs if tbs is not None else self.tbs
        return tlv(SEQ, tlv(SEQ, b"".join(fields)) +
                   (sig_alg or self.sig_alg) + self.sig)

    def with_extensions(self, exts):
        tbs = [f for f in self.tbs if f[0] != 0xA3]
        return self.build(tbs + [tlv(0xA3, tlv(SEQ, b"".join(exts)))])

    def with_subject(self, rdns):
        tbs = list(self.tbs)
        tbs[5] = tlv(SEQ, b"".join(rdns))
        return self.build(tbs)

    def with_modulus_top(self, top):
        """The key's modulus with its top bit cleared, or its top octet
        replaced by |top|."""
        tbs = list(self.tbs)
        alg, bits = children(contents(tbs[6]))
        rsa = contents(bits)[1:]  # after the unused-bits octet
        n, e = children(contents(rsa))
        m = contents(n)
        if m[0] == 0:
            m = m[1:]
        m = bytes([m[0] & 0x7F if top is None else top]) + m[1:]
        rsa = tlv(SEQ, tlv(0x02, m) + e)
        tbs[6] = tlv(SEQ, alg + tlv(0x03, b"\x00" + rsa))
        return self.build(tbs)

    def with_signature_algorithm(self, alg):
        tbs = list(self.tbs)
        tbs[2] = alg
        return self.build(tbs, alg)


def extension(oid_text, value, critical=False):
    return tlv(SEQ, oid(oid_text) + (tlv(0x01, b"\xff") if critical else b"") +
               tlv(0x04, value))


def san(*names):
    return extension("2.5.29.17", tlv(SEQ, b"".join(names)))


def rdn(type_oid, value, tag=0x0C):
    return tlv(SET, tlv(SEQ, oid(type_oid) + tlv(tag, value)))


DNS = tlv(0x82, b"mx.example.com")
SHA256 = tlv(SEQ, oid("2.16.840.1.101.3.4.2.1"))
SHA256_NULL = tlv(SEQ, oid("2.16.840.1.101.3.4.2.1") + b"\x05\x00")


def pss(hash_alg, salt=32, mgf_hash=None, trailer=None):
    params = tlv(0xA0, hash_alg)
    params += tlv(0xA1, tlv(SEQ, oid("1.2.840.113549.1.1.8") +
                            (mgf_hash or hash_alg)))
    params += tlv(0xA2, tlv(0x02, bytes([salt])))
    if trailer is not None:
        params += tlv(0xA3, tlv(0x02, bytes([trailer])))
    return tlv(SEQ, oid("1.2.840.113549.1.1.10") + tlv(SEQ, params))


def seeds(leaf):
    out = {}
    # GeneralName forms.
    name = tlv(SEQ, rdn("2.5.4.3", b"Directory Entry"))
    out["san-directoryname"] = leaf.with_extensions([san(DNS, tlv(0xA4, name))])
    out["san-directoryname-empty"] = leaf.with_extensions(
        [san(tlv(0xA4, tlv(SEQ, b"")))])
    out["san-edipartyname"] = leaf.with_extensions([san(DNS, tlv(0xA5,
        tlv(0xA0, tlv(0x13, b"Assigner")) + tlv(0xA1, tlv(0x0C, b"Party"))))])
    out["san-edipartyname-party-only"] = leaf.with_extensions(
        [san(tlv(0xA5, tlv(0xA1, tlv(0x1E, b"\x00P\x00a"))))])
    out["san-edipartyname-ia5"] = leaf.with_extensions(
        [san(tlv(0xA5, tlv(0xA1, tlv(0x16, b"Party"))))])
    out["san-othername-srv"] = leaf.with_extensions([san(DNS, tlv(0xA0,
        oid("1.3.6.1.5.5.7.8.7") + tlv(0xA0, tlv(0x16, b"_smtp.example.com"))))])
    out["san-othername-utf8"] = leaf.with_extensions([san(tlv(0xA0,
        oid("1.3.6.1.5.5.7.8.9") + tlv(0xA0, tlv(0x0C, b"postmaster@example"))))])
    out["san-x400address"] = leaf.with_extensions(
        [san(DNS, tlv(0xA3, tlv(SEQ, tlv(0x61, tlv(0x13, b"US")))))])
    out["san-registeredid"] = leaf.with_extensions(
        [san(DNS, tlv(0x88, oid("1.3.6.1.4.1.55555.1")[2:]))])
    out["aki-issuer-directoryname"] = leaf.with_extensions([extension(
        "2.5.29.35", tlv(SEQ, tlv(0x80, b"\x01" * 20) +
                          tlv(0xA1, tlv(0xA4, name)) + tlv(0x82, b"\x05")))])
    # iPAddress: both lengths RFC 5280 allows, and two it does not (which
    # BoringSSL keeps: the differential harness's ip-length rule).
    for label, ip in (("v4", b"\xc0\x00\x02\x01"), ("v6", b"\x20\x01\x0d\xb8" + b"\x00" * 11 + b"\x01"),
                      ("8-octets", b"\xc0\x00\x02\x01\xff\xff\xff\x00"),
                      ("5-octets", b"\x0a\x00\x00\x01\x00")):
        out["san-ip-" + label] = leaf.with_extensions([san(DNS, tlv(0x87, ip))])
    # RSA moduli whose top octet is not full: the key size is not a multiple
    # of 8.
    for label, top in (("2047-bits", None), ("2041-bits", 0x01)):
        out["rsa-" + label] = leaf.with_modulus_top(top)
    # RSA-PSS signature parameters.
    out["pss-sha256"] = leaf.with_signature_algorithm(pss(SHA256))
    out["pss-sha256-null-params"] = leaf.with_signature_algorithm(pss(SHA256_NULL))
    out["pss-sha384-mgf-mismatch"] = leaf.with_signature_algorithm(
        pss(tlv(SEQ, oid("2.16.840.1.101.3.4.2.2")), 48, mgf_hash=SHA256))
    out["pss-trailer-default"] = leaf.with_signature_algorithm(
        pss(SHA256, trailer=1))
    out["pss-no-params"] = leaf.with_signature_algorithm(
        tlv(SEQ, oid("1.2.840.113549.1.1.10")))
    out["pss-empty-params"] = leaf.with_signature_algorithm(
        tlv(SEQ, oid("1.2.840.113549.1.1.10") + tlv(SEQ, b"")))
    # Size and count limits (src/x509/x509.h), at the limit and one past.
    def unknown_extensions(n):
        return [extension("1.3.6.1.4.1.55555.%d" % (i + 128), b"")
                for i in range(n)]
    out["limit-extensions-256"] = leaf.with_extensions(unknown_extensions(256))
    out["limit-extensions-257"] = leaf.with_extensions(unknown_extensions(257))
    def dns(n):
        return [tlv(0x82, b"h%d.example" % i) for i in range(n)]
    out["limit-sans-1024"] = leaf.with_extensions([san(*dns(1024))])
    out["limit-sans-1025"] = leaf.with_extensions([san(*dns(1025))])
    out["limit-rdns-64"] = leaf.with_subject(
        [rdn("2.5.4.11", b"u%d" % i) for i in range(64)])
    out["limit-rdns-65"] = leaf.with_subject(
        [rdn("2.5.4.11", b"u%d" % i) for i in range(65)])
    def attributes(n):
        return tlv(SET, b"".join(tlv(SEQ, oid("2.5.4.11") + tlv(0x0C, b"u%d" % i))
                                 for i in range(n)))
    out["limit-attributes-16"] = leaf.with_subject([attributes(16)])
    out["limit-attributes-17"] = leaf.with_subject([attributes(17)])
    def eku(n):
        return extension("2.5.29.37", tlv(SEQ, b"".join(
            oid("1.3.6.1.4.1.55555.2.%d" % i) for i in range(n))))
    out["limit-eku-64"] = leaf.with_extensions([eku(64)])
    out["limit-eku-65"] = leaf.with_extensions([eku(65)])
    base = len(leaf.with_extensions([extension("1.3.6.1.4.1.55555.3", b"")]))
    for name, size in (("limit-size-65536", 65536), ("limit-size-65537", 65537)):
        fill = size - base
        der = b""
        for pad in range(fill - 8, fill + 1):
            der = leaf.with_extensions(
                [extension("1.3.6.1.4.1.55555.3", b"x" * pad)])
            if len(der) == size:
                break
        out[name] = der
    return out


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(
        os.path.abspath(__file__))
    repo = os.path.dirname(os.path.abspath(root))
    with open(os.path.join(repo, "testdata", "x509", "leaf-rsa2048.der"),
              "rb") as f:
        leaf = Leaf(f.read())
    for harness in ("x509_fuzzer", "x509_differential_fuzzer"):
        folder = os.path.join(root, "corpora", harness)
        os.makedirs(folder, exist_ok=True)
        for name, der in seeds(leaf).items():
            with open(os.path.join(folder, "seed-" + name), "wb") as f:
                f.write(der)


if __name__ == "__main__":
    main()
