#!/usr/bin/env python3
"""Writes the seed corpus of server_fuzzer.

Usage: fuzz/make_server_seeds.py [FUZZ_DIR]   (default: the folder of this file)

An input is a flags octet and a sequence of client actions (see the comment
at the top of server_fuzzer.cc). Seeds: a normal session, pipelining,
STARTTLS with plaintext pipelined behind it (injection), STARTTLS then a
session inside TLS, implicit TLS, TLS 1.2, oversized lines, DATA with dot
stuffing, a client that stops reading, half-close, every deadline. Seeds are
named seed-*; rerunning rewrites them and leaves merged inputs alone.
"""

from seed_writer import write_seeds

IMPLICIT, TLS12, SMALL, FULL_HANDSHAKE = 1, 2, 4, 8
HOLD = 0x40  # with RAW or TLS: do not step the server after sending
RAW, STARTTLS, TLS, HALF_CLOSE, IDLE, TOGGLE_READ, CLOSE_NOTIFY, NOTHING = range(8)
# Idle choices (server_fuzzer.cc kChoices): 1 s, then each deadline's
# duration less 1 ns and exactly (tls, command, data), one hour. The clock is
# virtual: idles add up.
IDLE_1S, TLS_BELOW, TLS_AT, CMD_BELOW, CMD_AT, DATA_BELOW, DATA_AT, HOUR = range(8)


def data(op, payload):
    if len(payload) > 255:
        return bytes([op | 0x80, len(payload) >> 8, len(payload) & 0xFF]) + payload
    return bytes([op, len(payload)]) + payload


def raw(payload):
    return data(RAW, payload)


def tls(payload):
    return data(TLS, payload)


def idle(choice):
    return bytes([IDLE, choice])


def op(code):
    return bytes([code])


MESSAGE = (b"From: a@example.org\r\nSubject: fuzz\r\n\r\nbody\r\n..stuffed\r\n"
           b".\r\n")

SEEDS = {
    "session": bytes([0]) + raw(b"EHLO client.example\r\n") +
    raw(b"MAIL FROM:<a@example.org>\r\n") + raw(b"RCPT TO:<b@example.org>\r\n") +
    raw(b"DATA\r\n") + raw(MESSAGE) + raw(b"QUIT\r\n"),
    "pipelining": bytes([0]) + raw(
        b"EHLO client.example\r\nMAIL FROM:<a@example.org> SIZE=100\r\n"
        b"RCPT TO:<b@example.org>\r\nRCPT TO:<c@example.org>\r\nDATA\r\n") +
    raw(MESSAGE + b"RSET\r\nNOOP\r\nQUIT\r\n"),
    "starttls-injection": bytes([0]) + raw(b"EHLO client.example\r\n") +
    raw(b"STARTTLS\r\nMAIL FROM:<injected@example.org>\r\nRCPT TO:<x@example.org>\r\n") +
    op(STARTTLS) + tls(b"EHLO client.example\r\nMAIL FROM:<a@example.org>\r\n") +
    tls(b"QUIT\r\n"),
    "starttls-session": bytes([FULL_HANDSHAKE]) + raw(b"EHLO client.example\r\nSTARTTLS\r\n") +
    op(STARTTLS) + tls(b"EHLO client.example\r\n") + tls(b"MAIL FROM:<a@example.org>\r\n") +
    tls(b"RCPT TO:<b@example.org>\r\n") + tls(b"DATA\r\n") + tls(MESSAGE) +
    tls(b"QUIT\r\n"),
    "starttls-tls12-close-notify": bytes([TLS12]) + raw(b"EHLO c\r\nSTARTTLS\r\n") +
    op(STARTTLS) + tls(b"EHLO c\r\nNOOP\r\n") + op(CLOSE_NOTIFY),
    "starttls-plaintext-after-switch": bytes([0]) + raw(b"EHLO c\r\nSTARTTLS\r\n") +
    raw(b"MAIL FROM:<late@example.org>\r\n") + op(STARTTLS),
    "implicit-tls": bytes([IMPLICIT]) + op(STARTTLS) + tls(b"EHLO client.example\r\n") +
    tls(b"STARTTLS\r\n") + tls(b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
                             b"DATA\r\n") + tls(MESSAGE) + tls(b"QUIT\r\n"),
    "oversized-lines": bytes([0]) + raw(b"EHLO " + b"x" * 600 + b"\r\n") +
    raw(b"MAIL FROM:<" + b"a" * 1200 + b"@example.org>\r\n") + raw(b"NOOP\r\n"),
    "oversized-data-line": bytes([0]) + raw(
        b"EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n") +
    raw(b"y" * 1500 + b"\r\n.\r\n") + raw(b"QUIT\r\n"),
    "too-many-errors": bytes([0]) + raw(b"BOGUS\r\n" * 12),
    "no-reading": bytes([SMALL]) + op(TOGGLE_READ) + raw(b"EHLO c\r\n" * 200) +
    raw(b"EHLO c\r\n" * 200) + raw(b"EHLO c\r\n" * 200) + op(TOGGLE_READ),
    # 16 * 8 pipelined EHLOs in one action (the repeat bit, 0x20).
    "repeated-pipeline": bytes([0]) + bytes([RAW | 0x20, 7, 8]) + b"EHLO c\r\n" +
    raw(b"QUIT\r\n"),
    # 24 KiB of EHLOs in one read loop: the first 16 KiB chunk's replies
    # (about 300 KiB) back the output up, so the server must stop reading
    # before the second chunk.
    "backlog-within-one-step": bytes([0]) +
    (bytes([RAW | HOLD | 0x20, 255, 8]) + b"EHLO c\r\n") * 3 + op(NOTHING) +
    raw(b"QUIT\r\n"),
    "backlog-not-reading": bytes([0]) + op(TOGGLE_READ) +
    (bytes([RAW | HOLD | 0x20, 255, 8]) + b"EHLO c\r\n") * 2 +
    bytes([RAW | 0x20, 255, 6]) + b"NOOP\r\n" + op(TOGGLE_READ),
    "half-close": bytes([0]) + raw(b"EHLO c\r\nMAIL FROM:<a@b>\r\n") + op(HALF_CLOSE),
    # Commands and the half-close in one read of the server's.
    "half-close-same-read": bytes([0]) + raw(b"EHLO c\r\n") +
    data(RAW | HOLD, b"MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n") + op(HALF_CLOSE),
    "pipelined-across-actions": bytes([0]) + data(RAW | HOLD, b"EHLO c\r\nSTARTTLS\r\n") +
    data(RAW | HOLD, b"NOOP\r\n") + op(STARTTLS) + tls(b"EHLO c\r\n"),
    "idle-command": bytes([0]) + raw(b"EHLO c\r\n") + idle(CMD_BELOW) + raw(b"NOOP\r\n") +
    idle(CMD_AT),
    "idle-data": bytes([0]) + raw(b"EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n") +
    idle(CMD_AT) + raw(b"line\r\n") + idle(DATA_AT),
    # Four idles just under the TLS deadline (20 s - 4 ns) keep the command
    # deadline; one more second passes it.
    "idle-adds-up": bytes([0]) + raw(b"EHLO c\r\n") + idle(TLS_BELOW) * 4 +
    idle(IDLE_1S) + raw(b"NOOP\r\n"),
    # Each reply re-arms the command deadline: nothing times out.
    "idle-rearmed": bytes([0]) + raw(b"EHLO c\r\n") + idle(CMD_BELOW) + raw(b"NOOP\r\n") +
    idle(CMD_BELOW) + raw(b"NOOP\r\n") + idle(CMD_BELOW) + raw(b"QUIT\r\n"),
    "idle-handshake-at-deadline": bytes([0]) + raw(b"EHLO c\r\nSTARTTLS\r\n") +
    idle(TLS_BELOW) + idle(IDLE_1S),
    "idle-handshake": bytes([0]) + raw(b"EHLO c\r\nSTARTTLS\r\n") + idle(TLS_AT),
    "idle-tls-command": bytes([IMPLICIT]) + op(STARTTLS) + tls(b"EHLO c\r\n") +
    idle(HOUR),
    "small-buffers-tls": bytes([SMALL]) + raw(b"EHLO c\r\nSTARTTLS\r\n") + op(STARTTLS) +
    tls(b"EHLO c\r\n" * 100) + tls(b"QUIT\r\n"),
}


def main():
    write_seeds("server_fuzzer", SEEDS)


if __name__ == "__main__":
    main()
