#!/usr/bin/env python3
"""Writes seeds for the X.509 harnesses that the test certificates lack.

Usage: fuzz/make_x509_seeds.py [FUZZ_DIR]   (default: the folder of this file)

Each seed is testdata/x509/leaf-rsa2048.der with one part replaced, to reach
the parser's less common paths (src/x509/certificate.cc): RSA-PSS parameters
(each field absent, explicit, a DEFAULT value encoded, malformed; in the
signature algorithm and in the key), every signature algorithm and key type
the parser names, every GeneralName form (directoryName, ediPartyName,
otherName, x400Address, registeredID, and their defects), the extensions it
decodes with their defects, and each size and count limit of
src/x509/x509.h at the limit and one past it (certificate size, extensions,
SANs, RDNs, attributes per RDN, and the kMaxListEntries lists: extKeyUsage,
authorityInfoAccess, cRLDistributionPoints, certificatePolicies, policy
qualifiers, noticeNumbers and the
GeneralNames inside authorityKeyIdentifier and cRLDistributionPoints), and
each field of a validity time at its limit and one past it.
The signatures no longer verify; the parsers do not check them. Seeds are
named seed-* and written to corpora/x509_fuzzer and
corpora/x509_differential_fuzzer (every X.509 harness replays both);
rerunning rewrites them and leaves merged inputs alone.
"""

import os

from seed_writer import write_seeds


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

    def with_not_after(self, time):
        tbs = list(self.tbs)
        not_before = children(contents(tbs[4]))[0]
        tbs[4] = tlv(SEQ, not_before + time)
        return self.build(tbs)

    def with_spki(self, spki):
        tbs = list(self.tbs)
        tbs[6] = spki
        return self.build(tbs)

    def rsa_key(self):
        """The subjectPublicKey BIT STRING's RSAPublicKey (modulus, exponent)."""
        _, bits = children(contents(self.tbs[6]))
        return children(contents(contents(bits)[1:]))

    def with_tbs_tail(self, version, tail):
        """No extensions, version |version| (1: the field absent), and the
        elements |tail| after the key (issuer/subjectUniqueID)."""
        tbs = [f for f in self.tbs if f[0] not in (0xA0, 0xA3)]
        if version > 1:
            tbs.insert(0, tlv(0xA0, tlv(0x02, bytes([version - 1]))))
        return self.build(tbs + tail)


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


SHA1 = tlv(SEQ, oid("1.3.14.3.2.26"))
RSA_PSS = "1.2.840.113549.1.1.10"
MGF1 = "1.2.840.113549.1.1.8"
ABSENT = object()


def pss_params(hash_alg=SHA256, salt=32, mgf_hash=None, trailer=None,
               mgf=None, extra=b""):
    """RSASSA-PSS-params (RFC 4055): each field ABSENT, a value, or (|salt|,
    |trailer|) the INTEGER's content octets as bytes."""
    params = b""
    if hash_alg is not ABSENT:
        params += tlv(0xA0, hash_alg)
    if mgf is not None:
        params += tlv(0xA1, mgf)
    elif mgf_hash is not ABSENT:
        params += tlv(0xA1, tlv(SEQ, oid(MGF1) + (mgf_hash or (
            SHA256 if hash_alg is ABSENT else hash_alg))))
    if salt is not ABSENT:
        params += tlv(0xA2, tlv(0x02, salt if isinstance(salt, bytes)
                                else bytes([salt])))
    if trailer is not None:
        params += tlv(0xA3, tlv(0x02, trailer if isinstance(trailer, bytes)
                                else bytes([trailer])))
    return tlv(SEQ, params + extra)


def pss(hash_alg=SHA256, salt=32, mgf_hash=None, trailer=None, **kw):
    return tlv(SEQ, oid(RSA_PSS) + pss_params(hash_alg, salt, mgf_hash,
                                              trailer, **kw))


def algorithm(oid_text, params=b""):
    return tlv(SEQ, oid(oid_text) + params)


def spki(alg, key):
    return tlv(SEQ, alg + tlv(0x03, b"\x00" + key))


def ec_key(curve_oid):
    """An id-ecPublicKey AlgorithmIdentifier on the named curve."""
    return algorithm("1.2.840.10045.2.1", oid(curve_oid))


def rsa_public_key(modulus, exponent):
    return tlv(SEQ, tlv(0x02, modulus) + tlv(0x02, exponent))


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
    out.update(pss_seeds(leaf))
    out.update(algorithm_and_key_seeds(leaf))
    out.update(general_name_seeds(leaf))
    out.update(extension_seeds(leaf))
    out.update(list_limit_seeds(leaf))
    out.update(time_seeds(leaf))
    return out


def time_seeds(leaf):
    """notAfter with each field of a time at its limit and one past it, the
    leap-year rules, the UTCTime century pivot (RFC 5280 4.1.2.5.1: 49 is
    2049, 50 is 1950) and GeneralizedTime's 2050 boundary."""
    utc = {
        "month-12": b"241231235959Z", "month-13": b"241301000000Z",
        "month-00": b"240001000000Z", "day-31-jan": b"250131000000Z",
        "day-32-jan": b"250132000000Z", "day-00": b"250100000000Z",
        "day-30-apr": b"250430000000Z", "day-31-apr": b"250431000000Z",
        "feb-29-leap": b"240229000000Z", "feb-29-not-leap": b"250229000000Z",
        "feb-30-leap": b"240230000000Z", "hour-24": b"250101240000Z",
        "minute-60": b"250101006000Z", "second-60": b"250101000060Z",
        "year-49": b"491231235959Z", "year-50": b"500101000000Z",
        "offset": b"250101000000+0100", "no-z": b"250101000000",
        "short": b"2501010000Z", "non-digit": b"25010100000aZ",
    }
    generalized = {
        "year-2050": b"20500101000000Z", "year-2049": b"20491231235959Z",
        "month-13": b"20501301000000Z", "feb-29-2100": b"21000229000000Z",
        "feb-29-2400": b"24000229000000Z", "year-9999": b"99991231235959Z",
        "fraction": b"20500101000000.5Z",
    }
    out = {}
    for name, text in utc.items():
        out["time-utc-" + name] = leaf.with_not_after(tlv(0x17, text))
    for name, text in generalized.items():
        out["time-generalized-" + name] = leaf.with_not_after(tlv(0x18, text))
    return out


def pss_seeds(leaf):
    """RSASSA-PSS-params in the signature algorithm and in the key: each field
    absent, explicit, its DEFAULT encoded, and malformed."""
    sha384 = tlv(SEQ, oid("2.16.840.1.101.3.4.2.2"))
    cases = {
        # hashAlgorithm
        "hash-absent": dict(hash_alg=ABSENT),
        "hash-sha1-default": dict(hash_alg=SHA1),
        "hash-unknown-oid": dict(hash_alg=tlv(SEQ, oid("1.3.6.1.4.1.55555.4"))),
        "hash-params-not-null": dict(hash_alg=tlv(
            SEQ, oid("2.16.840.1.101.3.4.2.1") + tlv(0x02, b"\x00"))),
        "hash-null-with-contents": dict(hash_alg=tlv(
            SEQ, oid("2.16.840.1.101.3.4.2.1") + tlv(0x05, b"\x00"))),
        "hash-params-trailing": dict(hash_alg=tlv(
            SEQ, oid("2.16.840.1.101.3.4.2.1") + b"\x05\x00\x05\x00")),
        "hash-trailing-in-tag": dict(hash_alg=SHA256 + b"\x05\x00",
                                     mgf_hash=SHA256),
        # maskGenAlgorithm
        "mgf-absent": dict(mgf_hash=ABSENT),
        "mgf1-sha1-default": dict(mgf_hash=SHA1),
        "mgf1-sha384": dict(hash_alg=sha384, mgf_hash=sha384, salt=48),
        "mgf-not-mgf1": dict(mgf=tlv(SEQ, oid("1.2.840.113549.1.1.9") + SHA256)),
        "mgf1-no-hash": dict(mgf=tlv(SEQ, oid(MGF1))),
        "mgf1-trailing": dict(mgf=tlv(SEQ, oid(MGF1) + SHA256 + b"\x05\x00")),
        "mgf-trailing-in-tag": dict(mgf=tlv(SEQ, oid(MGF1) + SHA256) + b"\x05\x00"),
        "mgf-not-sequence": dict(mgf=b"\x05\x00"),
        # saltLength
        "salt-absent": dict(salt=ABSENT),
        "salt-20-default": dict(salt=20),
        "salt-zero": dict(salt=0),
        "salt-8-octets": dict(salt=b"\x00" + b"\xff" * 8),
        "salt-9-octets": dict(salt=b"\x01" + b"\x00" * 8),
        "salt-negative": dict(salt=b"\xff"),
        "salt-not-minimal": dict(salt=b"\x00\x20"),
        # trailerField
        "trailer-2": dict(trailer=2),
        "trailer-not-integer": dict(trailer=None, extra=tlv(0xA3, b"\x05\x00")),
        # the SEQUENCE
        "all-absent": dict(hash_alg=ABSENT, mgf_hash=ABSENT, salt=ABSENT),
        "trailing-element": dict(extra=tlv(0xA4, b"\x05\x00")),
        "out-of-order": dict(hash_alg=ABSENT, mgf_hash=ABSENT, salt=ABSENT,
                             extra=tlv(0xA2, b"\x02\x01\x20") +
                             tlv(0xA0, SHA256)),
    }
    out = {}
    for name, kw in cases.items():
        out["pss-" + name] = leaf.with_signature_algorithm(pss(**kw))
    out["pss-params-null"] = leaf.with_signature_algorithm(
        algorithm(RSA_PSS, b"\x05\x00"))
    # Only the tbsCertificate.signature copy is PSS.
    tbs = list(leaf.tbs)
    tbs[2] = pss()
    out["pss-tbs-only"] = leaf.build(tbs)
    # id-RSASSA-PSS keys (RFC 4055 1.2): parameters absent, or restricting.
    modulus, exponent = (contents(e) for e in leaf.rsa_key())
    key = rsa_public_key(modulus, exponent)
    for name, params in (("no-params", b""), ("params", pss_params()),
                         ("params-sha1-default", pss_params(hash_alg=SHA1)),
                         ("params-salt-9-octets",
                          pss_params(salt=b"\x01" + b"\x00" * 8)),
                         ("params-null", b"\x05\x00")):
        out["spki-pss-" + name] = leaf.with_spki(
            spki(algorithm(RSA_PSS, params), key))
    return out


def algorithm_and_key_seeds(leaf):
    """Every signature algorithm the parser names, with parameters as RFC 4055
    / RFC 5758 / RFC 8410 want them and with parameters where they must be
    absent; every key type, with the defects the parser names."""
    out = {}
    null = b"\x05\x00"
    for name, oid_text, params in (
            ("md5-rsa", "1.2.840.113549.1.1.4", null),
            ("sha1-rsa", "1.2.840.113549.1.1.5", null),
            ("sha224-rsa", "1.2.840.113549.1.1.14", null),
            ("sha384-rsa", "1.2.840.113549.1.1.12", null),
            ("sha512-rsa", "1.2.840.113549.1.1.13", null),
            ("sha256-rsa-absent-params", "1.2.840.113549.1.1.11", b""),
            ("sha256-rsa-params-not-null", "1.2.840.113549.1.1.11",
             tlv(0x02, b"\x00")),
            ("ecdsa-sha1", "1.2.840.10045.4.1", b""),
            ("ecdsa-sha224", "1.2.840.10045.4.3.1", b""),
            ("ecdsa-sha256", "1.2.840.10045.4.3.2", b""),
            ("ecdsa-sha384", "1.2.840.10045.4.3.3", b""),
            ("ecdsa-sha512", "1.2.840.10045.4.3.4", b""),
            ("ecdsa-sha256-with-params", "1.2.840.10045.4.3.2", null),
            ("ed25519", "1.3.101.112", b""),
            ("ed448", "1.3.101.113", b""),
            ("dsa-sha1", "1.2.840.10040.4.3", b""),
            ("dsa-sha256", "2.16.840.1.101.3.4.3.2", b""),
            ("unknown", "1.3.6.1.4.1.55555.5", null)):
        out["sigalg-" + name] = leaf.with_signature_algorithm(
            algorithm(oid_text, params))
    modulus, exponent = (contents(e) for e in leaf.rsa_key())
    rsa = "1.2.840.113549.1.1.1"
    for name, alg, key in (
            ("rsa-exponent-zero", algorithm(rsa, null),
             rsa_public_key(modulus, b"\x00")),
            ("rsa-exponent-9-octets", algorithm(rsa, null),
             rsa_public_key(modulus, b"\x01" + b"\x00" * 8)),
            ("rsa-modulus-zero", algorithm(rsa, null),
             rsa_public_key(b"\x00", exponent)),
            ("rsa-params-absent", algorithm(rsa),
             rsa_public_key(modulus, exponent)),
            ("ed25519", algorithm("1.3.101.112"), b"\x11" * 32),
            ("ed25519-params", algorithm("1.3.101.112", null), b"\x11" * 32),
            ("ed25519-31-octets", algorithm("1.3.101.112"), b"\x11" * 31),
            ("ed448", algorithm("1.3.101.113"), b"\x22" * 57),
            ("ed448-params", algorithm("1.3.101.113", null), b"\x22" * 57),
            ("ed448-56-octets", algorithm("1.3.101.113"), b"\x22" * 56),
            # P-192: a named curve the parser knows but does not name a type
            # for (KeyType::kEcOther, weak by size).
            ("ec-p192", ec_key("1.2.840.10045.3.1.1"), b"\x04" + b"\x33" * 48),
            ("ec-p192-bad-point", ec_key("1.2.840.10045.3.1.1"),
             b"\x04" + b"\x33" * 47),
            ("ec-p256-compressed", ec_key("1.2.840.10045.3.1.7"),
             b"\x02" + b"\x33" * 32),
            ("ec-unknown-curve", ec_key("1.3.6.1.4.1.55555.6"),
             b"\x04" + b"\x33" * 64),
            ("ec-params-not-oid", algorithm("1.2.840.10045.2.1", null),
             b"\x04" + b"\x33" * 64),
            ("unknown-algorithm", algorithm("1.3.6.1.4.1.55555.7"), b"\x44" * 8)):
        out["spki-" + name] = leaf.with_spki(spki(alg, key))
    # issuerUniqueID / subjectUniqueID: only in v2 and v3 (RFC 5280 4.1.2.8).
    unique = tlv(0x81, b"\x00\x01\x02") + tlv(0x82, b"\x00\x03\x04")
    out["unique-ids-v1"] = leaf.with_tbs_tail(1, [unique])
    out["unique-ids-v2"] = leaf.with_tbs_tail(2, [unique])
    out["unique-id-bad-bitstring-v2"] = leaf.with_tbs_tail(
        2, [tlv(0x81, b"\x07\x01")])
    # Name strings each decoder turns into UTF-8: a code point past U+FFFF
    # (four UTF-8 octets), BMP and Teletex (ISO 8859-1) text.
    cn = "2.5.4.3"
    out["name-universalstring-astral"] = leaf.with_subject(
        [rdn(cn, b"\x00\x01\xf6\x00\x00\x00\x00a", tag=0x1C)])
    out["name-bmpstring"] = leaf.with_subject(
        [rdn(cn, b"\x00m\x00\xe9\x20\xac", tag=0x1E)])
    out["name-teletex"] = leaf.with_subject([rdn(cn, b"caf\xe9", tag=0x14)])
    return out


def general_name_seeds(leaf):
    """The GeneralName forms, each with the defects the parser names."""
    out = {}
    cases = {
        "rfc822name": tlv(0x81, b"postmaster@example.com"),
        "uri": tlv(0x86, b"https://example.com/"),
        "rfc822name-not-ia5": tlv(0x81, b"p\xe9@example.com"),
        "othername-empty-value": tlv(0xA0, oid("1.3.6.1.5.5.7.8.7") + tlv(0xA0, b"")),
        "othername-no-value": tlv(0xA0, oid("1.3.6.1.5.5.7.8.7")),
        "othername-trailing": tlv(0xA0, oid("1.3.6.1.5.5.7.8.7") +
                                  tlv(0xA0, tlv(0x16, b"_smtp.example")) + b"\x05\x00"),
        "directoryname-trailing": tlv(0xA4, tlv(SEQ, rdn("2.5.4.3", b"x")) + b"\x05\x00"),
        "directoryname-bad-string": tlv(0xA4, tlv(SEQ, rdn("2.5.4.3", b"\xff", tag=0x0C))),
        "edipartyname-assigner-and-party-bmp": tlv(0xA5, tlv(0xA0, tlv(0x1E, b"\x00A")) +
                                                   tlv(0xA1, tlv(0x1E, b"\x00P"))),
        "edipartyname-teletex-universal": tlv(0xA5, tlv(0xA0, tlv(0x14, b"A\xe9")) +
                                              tlv(0xA1, tlv(0x1C, b"\x00\x00\x00P"))),
        "edipartyname-party-garbled": tlv(0xA5, tlv(0xA1, b"\x0c\x05ab")),
        "edipartyname-party-odd-bmp": tlv(0xA5, tlv(0xA1, tlv(0x1E, b"\x00P\x00"))),
        "edipartyname-party-two-strings": tlv(0xA5, tlv(0xA1, tlv(0x0C, b"a") + tlv(0x0C, b"b"))),
        "edipartyname-no-party": tlv(0xA5, tlv(0xA0, tlv(0x0C, b"Assigner"))),
        "edipartyname-trailing": tlv(0xA5, tlv(0xA1, tlv(0x0C, b"Party")) + b"\x05\x00"),
        "registeredid-bad-oid": tlv(0x88, b"\x2b\x80"),
        "not-a-generalname": tlv(0x89, b"x"),
        "truncated": b"\x82\x05ab",
    }
    for name, gn in cases.items():
        out["san-" + name] = leaf.with_extensions([san(DNS, gn)])
    out["san-empty"] = leaf.with_extensions([san()])
    return out


def extension_seeds(leaf):
    """The extensions the parser decodes, each valid and with the defects it
    names."""
    wildcard = tlv(0x82, b"*.example.com")
    ev = "2.23.140.1.1"
    cps = tlv(SEQ, oid("1.3.6.1.5.5.7.2.1") + tlv(0x16, b"https://example.com/cps"))

    def policies(*infos):
        return extension("2.5.29.32", tlv(SEQ, b"".join(infos)))

    def policy(oid_text, qualifiers=None):
        q = b"" if qualifiers is None else tlv(SEQ, qualifiers)
        return tlv(SEQ, oid(oid_text) + q)

    def notice(contents):
        return tlv(SEQ, oid("1.3.6.1.5.5.7.2.2") + tlv(SEQ, contents))

    def crldp(*points):
        return extension("2.5.29.31", tlv(SEQ, b"".join(tlv(SEQ, p) for p in points)))

    uri = tlv(0x86, b"http://crl.example.com/ca.crl")
    atv = tlv(SEQ, oid("2.5.4.3") + tlv(0x0C, b"CRL1"))
    cases = {
        "extensions-empty": None,
        "critical-false": [tlv(SEQ, oid("2.5.29.19") + tlv(0x01, b"\x00") +
                               tlv(0x04, tlv(SEQ, b"")))],
        "basic-constraints-pathlen-8-octets": [extension("2.5.29.19", tlv(
            SEQ, b"\x01\x01\xff" + tlv(0x02, b"\x00" + b"\xff" * 8)), True)],
        "basic-constraints-pathlen-9-octets": [extension("2.5.29.19", tlv(
            SEQ, b"\x01\x01\xff" + tlv(0x02, b"\x01" + b"\x00" * 8)), True)],
        "basic-constraints-ca-false": [extension("2.5.29.19", tlv(
            SEQ, b"\x01\x01\x00"), True)],
        "key-usage-no-bits": [extension("2.5.29.15", tlv(0x03, b"\x00"), True)],
        "key-usage-9-bits": [extension("2.5.29.15", tlv(0x03, b"\x07\xa0\x80"), True)],
        "key-usage-25-bits": [extension("2.5.29.15", tlv(0x03, b"\x07\xa0\x00\x00\x80"), True)],
        "policies-cps-qualifier": [policies(policy("2.23.140.1.2.1", cps))],
        "policies-empty-qualifiers": [policies(policy("2.23.140.1.2.1", b""))],
        "policies-qualifiers-trailing": [policies(tlv(SEQ, oid("2.23.140.1.2.1") +
                                                      tlv(SEQ, cps) + b"\x05\x00"))],
        "policies-duplicate": [policies(policy("2.23.140.1.2.1"), policy("2.23.140.1.2.1"))],
        "policies-cps-not-ia5": [policies(policy("2.23.140.1.2.1", tlv(SEQ, oid(
            "1.3.6.1.5.5.7.2.1") + tlv(0x0C, b"https://example.com/cps"))))],
        "policies-cps-runs-past": [policies(policy("2.23.140.1.2.1", tlv(SEQ, oid(
            "1.3.6.1.5.5.7.2.1") + b"\x16\x18https://example.com/cps")))],
        "policies-cps-not-ascii": [policies(policy("2.23.140.1.2.1", tlv(SEQ, oid(
            "1.3.6.1.5.5.7.2.1") + tlv(0x16, b"https://ex\xe4mple.com/"))))],
        "policies-user-notice": [policies(policy("2.23.140.1.2.1", notice(
            tlv(SEQ, tlv(0x0C, b"Example CA") + tlv(SEQ, tlv(0x02, b"\x01") + tlv(0x02, b"\x02"))) +
            tlv(0x1A, b"See the CPS"))))],
        "policies-user-notice-empty": [policies(policy("2.23.140.1.2.1", notice(b"")))],
        "policies-user-notice-text-only-bmp": [policies(policy("2.23.140.1.2.1", notice(
            tlv(0x1E, b"\x00C\x00P\x00S"))))],
        "policies-user-notice-text-odd-bmp": [policies(policy("2.23.140.1.2.1", notice(
            tlv(0x1E, b"\x00C\x00"))))],
        "policies-user-notice-text-printable": [policies(policy("2.23.140.1.2.1", notice(
            tlv(0x13, b"CPS"))))],
        "policies-user-notice-text-garbled": [policies(policy("2.23.140.1.2.1", notice(
            b"\x0c\x05ab")))],
        "policies-user-notice-trailing": [policies(policy("2.23.140.1.2.1", notice(
            tlv(0x0C, b"CPS") + tlv(0x0C, b"again"))))],
        "policies-user-notice-ref-trailing": [policies(policy("2.23.140.1.2.1", notice(
            tlv(SEQ, tlv(0x0C, b"Example CA") + tlv(SEQ, b"") + b"\x05\x00"))))],
        "policies-user-notice-number-not-integer": [policies(policy("2.23.140.1.2.1", notice(
            tlv(SEQ, tlv(0x16, b"Example CA") + tlv(SEQ, b"\x05\x00")))))],
        "policies-user-notice-number-not-minimal": [policies(policy("2.23.140.1.2.1", notice(
            tlv(SEQ, tlv(0x16, b"Example CA") + tlv(SEQ, tlv(0x02, b"\x00\x01"))))))],
        "policies-qualifier-other": [policies(policy("2.23.140.1.2.1", tlv(SEQ, oid(
            "1.3.6.1.4.1.55555.9") + tlv(0x0C, b"other"))))],
        "policies-qualifier-other-no-value": [policies(policy("2.23.140.1.2.1", tlv(SEQ, oid(
            "1.3.6.1.4.1.55555.9"))))],
        "policies-qualifier-not-sequence": [policies(policy("2.23.140.1.2.1", oid(
            "1.3.6.1.5.5.7.2.1")))],
        # EV and a wildcard name: the summary warns (CA/B EV Guidelines 9.8.1).
        "ev-wildcard": [policies(policy(ev)), san(wildcard)],
        "sct-list": [extension("1.3.6.1.4.1.11129.2.4.2", tlv(0x04, b"\x00\x00"))],
        "crldp-relative-name": [crldp(tlv(0xA0, tlv(0xA1, atv)))],
        "crldp-relative-name-empty": [crldp(tlv(0xA0, tlv(0xA1, b"")))],
        "crldp-relative-name-no-value": [crldp(tlv(0xA0, tlv(0xA1, tlv(SEQ, oid("2.5.4.3")))))],
        "crldp-relative-name-bad-oid": [crldp(tlv(0xA0, tlv(0xA1, tlv(SEQ, b"\x06\x01\x80" +
                                                                         tlv(0x0C, b"x")))))],
        "crldp-reasons-and-issuer": [crldp(tlv(0xA0, tlv(0xA0, uri)) + tlv(0x81, b"\x07\x80") +
                                           tlv(0xA2, tlv(0xA4, tlv(SEQ, rdn("2.5.4.3", b"CA")))))],
        "crldp-reasons-bad-bitstring": [crldp(tlv(0xA0, tlv(0xA0, uri)) + tlv(0x81, b"\x07\x01"))],
        "aia-ocsp-ca-issuers-other": [extension("1.3.6.1.5.5.7.1.1", tlv(SEQ,
            tlv(SEQ, oid("1.3.6.1.5.5.7.48.1") + tlv(0x86, b"http://ocsp.example.com")) +
            tlv(SEQ, oid("1.3.6.1.5.5.7.48.2") + tlv(0x86, b"http://ca.example.com/ca.crt")) +
            tlv(SEQ, oid("1.3.6.1.5.5.7.48.5") + tlv(0x86, b"http://example.com/repo")) +
            tlv(SEQ, oid("1.3.6.1.5.5.7.48.1") + DNS)))],
    }
    out = {}
    for name, exts in cases.items():
        if exts is None:
            tbs = [f for f in leaf.tbs if f[0] != 0xA3]
            out["ext-" + name] = leaf.build(tbs + [tlv(0xA3, tlv(SEQ, b""))])
        else:
            out["ext-" + name] = leaf.with_extensions(exts)
    return out


def list_limit_seeds(leaf):
    """The kMaxListEntries (64) lists at the limit and one past it."""
    out = {}
    limit = 64

    def uris(n):
        return b"".join(tlv(0x86, b"http://h%d.example/" % i) for i in range(n))

    for n in (limit, limit + 1):
        out["limit-aia-%d" % n] = leaf.with_extensions([extension(
            "1.3.6.1.5.5.7.1.1", tlv(SEQ, b"".join(
                tlv(SEQ, oid("1.3.6.1.5.5.7.48.1") + tlv(0x86, b"http://o%d.example" % i))
                for i in range(n))))])
        out["limit-crldp-%d" % n] = leaf.with_extensions([extension(
            "2.5.29.31", tlv(SEQ, b"".join(
                tlv(SEQ, tlv(0xA0, tlv(0xA0, tlv(0x86, b"http://c%d.example/" % i))))
                for i in range(n))))])
        out["limit-policies-%d" % n] = leaf.with_extensions([extension(
            "2.5.29.32", tlv(SEQ, b"".join(
                tlv(SEQ, oid("1.3.6.1.4.1.55555.8.%d" % i)) for i in range(n))))])
        out["limit-crldp-fullname-%d" % n] = leaf.with_extensions([extension(
            "2.5.29.31", tlv(SEQ, tlv(SEQ, tlv(0xA0, tlv(0xA0, uris(n))))))])
        out["limit-crldp-issuer-%d" % n] = leaf.with_extensions([extension(
            "2.5.29.31", tlv(SEQ, tlv(SEQ, tlv(0xA0, tlv(0xA0, uris(1))) +
                                   tlv(0xA2, uris(n)))))])
        out["limit-policy-qualifiers-%d" % n] = leaf.with_extensions([extension(
            "2.5.29.32", tlv(SEQ, tlv(SEQ, oid("2.23.140.1.2.1") + tlv(SEQ, b"".join(
                tlv(SEQ, oid("1.3.6.1.5.5.7.2.1") + tlv(0x16, b"http://p%d.example/" % i))
                for i in range(n))))))])
        numbers = tlv(SEQ, b"".join(tlv(0x02, bytes([i + 1])) for i in range(n)))
        notice = tlv(SEQ, oid("1.3.6.1.5.5.7.2.2") +
                     tlv(SEQ, tlv(SEQ, tlv(0x0C, b"CA") + numbers)))
        out["limit-notice-numbers-%d" % n] = leaf.with_extensions([extension(
            "2.5.29.32", tlv(SEQ, tlv(SEQ, oid("2.23.140.1.2.1") + tlv(SEQ, notice))))])
        out["limit-aki-issuer-%d" % n] = leaf.with_extensions([extension(
            "2.5.29.35", tlv(SEQ, tlv(0x80, b"\x01" * 20) + tlv(0xA1, uris(n)) +
                              tlv(0x82, b"\x05")))])
    return out


def main():
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(repo, "testdata", "x509", "leaf-rsa2048.der"),
              "rb") as f:
        generated = seeds(Leaf(f.read()))
    for harness in ("x509_fuzzer", "x509_differential_fuzzer"):
        write_seeds(harness, generated)


if __name__ == "__main__":
    main()
