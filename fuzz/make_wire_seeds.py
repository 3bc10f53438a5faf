#!/usr/bin/env python3
"""Writes the seed corpus of wire_flight_fuzzer.

Usage: fuzz/make_wire_seeds.py [FUZZ_DIR]   (default: the folder of this file)

Each seed is the split_input.h header (flags octet, count octet, chunk-size
octets) followed by what a server sends after a ClientHello: TLS 1.2 flights
(ECDHE, DHE, static RSA, with stapled OCSP), TLS 1.3 ServerHello and
HelloRetryRequest, alerts, an SSLv2 reply, an SMTP reply, and bare
ServerHello / ServerKeyExchange bodies for the direct-parse flags. Seeds are
named seed-*; rerunning rewrites them and leaves merged inputs alone.
"""

import os
import struct
import sys


def header(flags=0, sizes=()):
    return bytes([flags, len(sizes)]) + bytes(sizes)


def u8(v):
    return struct.pack(">B", v)


def u16(v):
    return struct.pack(">H", v)


def u24(v):
    return struct.pack(">I", v)[1:]


def ext(t, data=b""):
    return u16(t) + u16(len(data)) + data


HRR_RANDOM = bytes.fromhex(
    "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")


def server_hello(version, suite, exts=None, random=None, sid=b"\x33" * 32):
    random = random or bytes(range(1, 33))
    body = u16(version) + random + u8(len(sid)) + sid + u16(suite) + u8(0)
    if exts is not None:
        data = b"".join(exts)
        body += u16(len(data)) + data
    return body


def hs(t, body):
    return u8(t) + u24(len(body)) + body


def records(t, version, payload, fragment=16384):
    out = b""
    while payload:
        part, payload = payload[:fragment], payload[fragment:]
        out += u8(t) + u16(version) + u16(len(part)) + part
    return out


def cert_msg(certs):
    data = b"".join(u24(len(c)) + c for c in certs)
    return u24(len(data)) + data


def ecdhe_ske(curve, sigalg):
    body = u8(3) + u16(curve) + u8(32) + b"\x09" * 32
    if sigalg:
        body += u16(sigalg)
    return body + u16(64) + b"\x5a" * 64


def dhe_ske(p_len, sigalg):
    return (u16(p_len) + b"\xff" * p_len + u16(1) + b"\x02" + u16(p_len) +
            b"\x11" * p_len + u16(sigalg) + u16(64) + b"\x5a" * 64)


FAKE_CERT = b"\x30\x82\x01\x00" + b"\x01" * 256
TLS12_EXTS = [ext(0xff01, b"\x00"), ext(23), ext(35), ext(5), ext(11, b"\x01\x00")]


def tls12_flight(suite, ske, version=0x0303, ocsp=False):
    msgs = hs(2, server_hello(version, suite, TLS12_EXTS)) + hs(11, cert_msg([FAKE_CERT, FAKE_CERT]))
    if ocsp:
        msgs += hs(22, u8(1) + u24(5) + b"OCSP!")
    if ske is not None:
        msgs += hs(12, ske)
    return records(22, version, msgs + hs(14, b""))


def seeds():
    sh13 = server_hello(0x0303, 0x1301, [ext(43, u16(0x0304)), ext(51, u16(29) + u16(32) + b"\x07" * 32)])
    hrr = server_hello(0x0303, 0x1302, [ext(43, u16(0x0304)), ext(51, u16(4588)), ext(44, u16(2) + b"hi")],
                       random=HRR_RANDOM)
    yield "tls12-ecdhe", header(0, (4, 200)) + tls12_flight(0xc02f, ecdhe_ske(29, 0x0804), ocsp=True)
    yield "tls12-dhe", header(0) + tls12_flight(0x009e, dhe_ske(256, 0x0401))
    yield "tls12-rsa", header(0, (0x80 | 9,)) + tls12_flight(0x002f, None)
    yield "tls10-ecdhe", header(0) + tls12_flight(0xc013, ecdhe_ske(23, 0), version=0x0301)
    yield "tls12-small-limits", header(1, (17,)) + tls12_flight(0xc030, ecdhe_ske(24, 0x0805))
    yield "tls13-server-hello", header(0) + records(22, 0x0303, hs(2, sh13)) + records(20, 0x0303, b"\x01")
    yield "tls13-hrr", header(0, (2, 3)) + records(22, 0x0303, hs(2, hrr))
    yield "alert-handshake-failure", header(0) + records(21, 0x0301, b"\x02\x28")
    yield "alert-after-hello", header(0) + records(22, 0x0303, hs(2, server_hello(0x0303, 0xc02f, TLS12_EXTS))) + \
        records(21, 0x0303, b"\x02\x50")
    yield "sslv2-server-hello", header(0) + b"\x80\x2e\x04\x00\x01\x00\x02" + b"\x00" * 40
    yield "smtp-421", header(0) + b"421 4.3.2 Service shutting down\r\n"
    yield "oversized-record", header(0) + b"\x16\x03\x03\xff\xff" + b"a" * 64
    yield "downgrade", header(0) + records(22, 0x0303, hs(2, server_hello(
        0x0303, 0xc02f, [], random=bytes(range(24)) + b"DOWNGRD\x01")) + hs(14, b""))
    yield "bare-server-hello", header(2) + server_hello(0x0303, 0x1301, [ext(43, u16(0x0304))])
    yield "bare-server-hello-noext", header(2) + server_hello(0x0300, 0x000a)
    yield "bare-ske-ecdhe", header(4 | 8) + ecdhe_ske(29, 0x0403)
    yield "bare-ske-dhe", header(4) + dhe_ske(128, 0x0601)
    yield "bare-ske-anon", header(4 | 16) + u16(1) + b"\x17" + u16(1) + b"\x02" + u16(1) + b"\x05"


def main():
    fuzz_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(fuzz_dir, "corpora", "wire_flight_fuzzer")
    os.makedirs(out, exist_ok=True)
    for name, data in seeds():
        with open(os.path.join(out, "seed-" + name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
