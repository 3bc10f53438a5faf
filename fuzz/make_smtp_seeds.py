#!/usr/bin/env python3
"""Writes the seed corpora of the SMTP harnesses.

Usage: fuzz/make_smtp_seeds.py [FUZZ_DIR]   (default: the folder of this file)

Each seed is the split_input.h header (flags octet, count octet, chunk-size
octets) followed by a transcript: server replies for smtp_reply_fuzzer and
smtp_client_fuzzer, client commands for smtp_command_fuzzer. Seeds are named
seed-*, so they are told apart from what campaigns merge in (SHA-1 names);
rerunning rewrites the seeds and leaves merged inputs alone.
"""

import os
import sys

CRLF = b"\r\n"


def header(flags=0, sizes=()):
    assert len(sizes) <= 7
    return bytes([flags, len(sizes)]) + bytes(sizes)


def lines(*items, end=CRLF):
    return b"".join(i + end for i in items)


# ---------------------------------------------------------------------------
# Server transcripts, as real servers send them.

POSTFIX_EHLO = lines(
    b"250-mail.example.org", b"250-PIPELINING", b"250-SIZE 10240000",
    b"250-VRFY", b"250-ETRN", b"250-STARTTLS", b"250-ENHANCEDSTATUSCODES",
    b"250-8BITMIME", b"250-DSN", b"250-SMTPUTF8", b"250 CHUNKING")
EXIM_EHLO = lines(
    b"250-mx.example.net Hello client.example.com [192.0.2.7]",
    b"250-SIZE 52428800", b"250-8BITMIME", b"250-PIPELINING",
    b"250-PIPE_CONNECT", b"250-AUTH PLAIN LOGIN", b"250-CHUNKING",
    b"250-STARTTLS", b"250-PRDR", b"250 HELP")
EXCHANGE_EHLO = lines(
    b"250-BN8NAM11FT012.mail.protection.outlook.com Hello [203.0.113.9]",
    b"250-SIZE 157286400", b"250-PIPELINING", b"250-DSN",
    b"250-ENHANCEDSTATUSCODES", b"250-STARTTLS", b"250-AUTH GSSAPI NTLM",
    b"250-AUTH=LOGIN", b"250-X-EXPS GSSAPI NTLM", b"250-8BITMIME",
    b"250-BINARYMIME", b"250-CHUNKING", b"250-XEXCH50", b"250 SMTPUTF8")

REPLIES = {
    "postfix-session": lines(
        b"220 mail.example.org ESMTP Postfix (Debian/GNU)") + POSTFIX_EHLO +
    lines(b"220 2.0.0 Ready to start TLS"),
    "exim-session": lines(
        b"220 mx.example.net ESMTP Exim 4.96 Mon, 20 Nov 2023 10:00:00 +0000")
    + EXIM_EHLO + lines(b"220 TLS go ahead"),
    "exchange-session": lines(
        b"220 BN8NAM11FT012.mail.protection.outlook.com Microsoft ESMTP MAIL "
        b"Service ready at Mon, 20 Nov 2023 10:00:00 +0000") + EXCHANGE_EHLO +
    lines(b"220 2.0.0 SMTP server ready"),
    "opensmtpd-session": lines(
        b"220 smtp.example.com ESMTP OpenSMTPD", b"250-smtp.example.com Hello "
        b"client [192.0.2.1], pleased to meet you", b"250-8BITMIME",
        b"250-ENHANCEDSTATUSCODES", b"250-SIZE 36700160", b"250-DSN",
        b"250-STARTTLS", b"250 HELP", b"220 2.0.0 Ready to start TLS"),
    "full-message": lines(
        b"220 mx ESMTP", b"250-mx", b"250-PIPELINING", b"250 SIZE 1000",
        b"250 2.1.0 Ok", b"250 2.1.5 Ok",
        b"354 End data with <CR><LF>.<CR><LF>",
        b"250 2.0.0 Ok: queued as 4SZ1Yq3kJxz9sWq", b"221 2.0.0 Bye"),
    "greylisted": lines(
        b"450-4.2.0 <user@example.org>: Recipient address rejected:",
        b"450 4.2.0 Greylisted, see https://postgrey.example/"),
    "rejected-5xx": lines(
        b"554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked "
        b"using zen.spamhaus.org", b"550 5.1.1 <nobody@example.org>: "
        b"Recipient address rejected: User unknown in local recipient table"),
    "tempfail-421": lines(
        b"421 4.7.0 mx.example.org Error: too many connections from "
        b"192.0.2.1"),
    "class-mismatch-enhanced": lines(b"550 2.1.0 odd but legal",
                                     b"250 5.7.1 also odd"),
    "enhanced-edge": lines(b"250 2.999.999 max", b"250 2.1000.0 too long",
                           b"250 2.0.0", b"250 2.0.0x"),
    "bare-code": lines(b"250", b"220-", b"220 "),
    "injection-after-starttls": lines(
        b"220 mx ESMTP", b"250-mx", b"250 STARTTLS",
        b"220 2.0.0 Ready to start TLS", b"250 injected"),
    "injection-same-packet": b"220 Ready to start TLS\r\n250-fake\r\n250 "
    b"AUTH PLAIN\r\n",
    "bare-lf": b"220 mx.example.org ESMTP\n250-mx\n250-STARTTLS\n250 SIZE\n",
    "mixed-endings": b"250-first\r\n250-second\n250 third\r\n",
    "bare-cr": b"250-first\rsecond\r\n250 third\r\n",
    "nul": b"250-mx\x00evil\r\n250 ok\r\n",
    "code-mismatch": lines(b"250-mx", b"251 other"),
    "bad-separator": lines(b"250_mx", b"250+mx"),
    "bad-code": lines(b"600 no", b"199 no", b"2x0 no", b"25", b"260 no"),
    "long-line": b"250 " + b"x" * 506 + CRLF + b"250 " + b"y" * 507 + CRLF,
    "many-lines": b"".join(b"250-line %d\r\n" % i for i in range(40)) +
    b"250 end\r\n",
    "eight-bit": lines(b"220 m\xc3\xa4il.example ESMTP \xff\xfe"),
    "auth-variants": lines(
        b"250-mx", b"250-AUTH=PLAIN LOGIN", b"250-auth plain cram-md5",
        b"250-AUTH", b"250-AUTH LOGIN PLAIN XOAUTH2", b"250-size 0",
        b"250-SIZE abc", b"250-SIZE 18446744073709551616", b"250-STARTTLS now",
        b"250--bad", b"250 x_y"),
    "partial-reply": b"250-mx\r\n250-PIPELINING\r\n250 STAR",
}

# Small limits (flags & 3) reach the limit checks quickly.
REPLY_LIMIT_SEEDS = {
    "small-limits": (1, REPLIES["postfix-session"]),
    "tiny-lines": (2, lines(b"250 ab", b"250-a", b"250 b", b"220 abc")),
    "degenerate": (3, lines(b"250", b"")),
}

SPLITS = {
    "bytewise": (0x00,),
    "three": (0x02, 0x04, 0x10),
    "crlf-straddle": (0x05, 0x00, 0x7f),
}

# ---------------------------------------------------------------------------
# Client transcripts.

COMMANDS = {
    # Each verb's syntax error (VerbSyntax), and a path over 256 octets
    # (a local part of 64 and a domain of 252).
    "syntax-error-each-verb": lines(
        b"EHLO c", b"RCPT somebody", b"DATA now", b"QUIT please", b"STARTTLS now",
        b"HELP ", b"NOOP ", b"VRFY", b"RSET x", b"MAIL", b"HELO", b"QUIT"),
    "path-too-long": lines(
        b"EHLO c", b"MAIL FROM:<a@b>",
        b"RCPT TO:<" + b"l" * 64 + b"@" + (b"d" * 63 + b".") * 3 + b"d" * 60 + b">",
        b"MAIL FROM:<" + b"l" * 64 + b"@" + (b"d" * 63 + b".") * 3 + b"d" * 60 + b">",
        b"QUIT"),
    "plain-session": lines(
        b"EHLO client.example.com", b"MAIL FROM:<alice@example.com>",
        b"RCPT TO:<bob@example.org>", b"DATA", b"Subject: hi", b"",
        b"hello", b".", b"QUIT"),
    "pipelined": lines(
        b"EHLO client.example.com", b"MAIL FROM:<a@example.com> SIZE=1000 "
        b"BODY=8BITMIME", b"RCPT TO:<b@example.org>", b"RCPT TO:<c@example.org>",
        b"DATA", b"line", b"..dot-stuffed", b".", b"RSET", b"NOOP", b"QUIT"),
    "starttls-clean": lines(b"EHLO c.example", b"STARTTLS"),
    "starttls-injection": lines(
        b"EHLO c.example", b"STARTTLS", b"MAIL FROM:<evil@example.com>",
        b"RCPT TO:<victim@example.org>"),
    "smuggling-lf": lines(b"EHLO c.example", b"MAIL FROM:<a@example.com>",
                          b"RCPT TO:<b@example.org>", b"DATA") +
    b"body\n.\nMAIL FROM:<smuggled@example.com>\r\n.\r\nQUIT\r\n",
    "smuggling-cr": lines(b"EHLO c", b"MAIL FROM:<a@b.c>", b"RCPT TO:<d@e.f>",
                          b"DATA") + b"body\r.\rRSET\r\n.\r\n",
    "smuggling-mixed": lines(b"HELO c", b"MAIL FROM:<a@b.c>",
                             b"RCPT TO:<d@e.f>", b"DATA") +
    b"x\n.\r\nMAIL FROM:<e@f.g>\r\n\r\n.\r\n",
    "helo-params": lines(b"HELO c.example", b"MAIL FROM:<a@b.c> SIZE=10"),
    "smtputf8": lines(
        b"EHLO c.example", b"MAIL FROM:<j\xc3\xb6rg@b\xc3\xbccher.example> "
        b"SMTPUTF8", b"RCPT TO:<\xe2\x82\xac@example.org>",
        b"MAIL FROM:<\xc3\xa9@x.example>"),
    "bad-utf8": lines(b"EHLO c", b"MAIL FROM:<\xc0\xaf@x.example> SMTPUTF8",
                      b"MAIL FROM:<\xed\xa0\x80@x.example> SMTPUTF8"),
    "address-literals": lines(
        b"EHLO [192.0.2.1]", b"EHLO [IPv6:2001:db8::1]",
        b"EHLO [IPv6:::ffff:192.0.2.1]", b"EHLO [x-tag:abc]",
        b"EHLO [300.1.1.1]", b"MAIL FROM:<a@[IPv6:1:2:3:4:5:6:7:8]>"),
    "paths": lines(
        b"EHLO c", b"MAIL FROM:<>", b"RCPT TO:<Postmaster>",
        b"RCPT TO:<@a.example,@b.example:u@c.example>",
        b"RCPT TO:<\"quoted \\\" local\"@example.org>",
        b"RCPT TO:<a..b@example.org>", b"RCPT TO:<a@-bad.example>",
        b"RCPT TO: <spaced@example.org>", b"RCPT TO:<x@y> NOTIFY=NEVER"),
    "params": lines(
        b"EHLO c", b"MAIL FROM:<a@b.c> SIZE=99999999999999999999",
        b"MAIL FROM:<a@b.c> SIZE=18446744073709551616", b"MAIL FROM:<a@b.c> "
        b"BODY=BINARYMIME", b"MAIL FROM:<a@b.c> SIZE=1 SIZE=2",
        b"MAIL FROM:<a@b.c>  SIZE=1", b"MAIL FROM:<a@b.c> X=", b"MAIL "
        b"FROM:<a@b.c> RET=HDRS"),
    "sequence-errors": lines(b"MAIL FROM:<a@b.c>", b"RCPT TO:<a@b.c>", b"DATA",
                             b"STARTTLS", b"EHLO c", b"DATA",
                             b"MAIL FROM:<a@b.c>", b"MAIL FROM:<a@b.c>"),
    "unknown-verbs": lines(b"EXPN list", b"AUTH PLAIN", b"BDAT 10 LAST",
                           b"XCLIENT ADDR=1.2.3.4", b"", b" ", b"ehlo lower",
                           b"QuIt"),
    "too-many-errors": lines(*([b"BOGUS"] * 12)),
    "too-many-recipients": lines(b"EHLO c", b"MAIL FROM:<a@b.c>",
                                 *[b"RCPT TO:<r%d@x.example>" % i
                                   for i in range(5)], b"DATA", b"x", b"."),
    "overlong-command": b"EHLO c\r\nNOOP " + b"a" * 600 + CRLF + b"NOOP\r\n",
    "overlong-data-line": lines(b"EHLO c", b"MAIL FROM:<a@b.c>",
                                b"RCPT TO:<d@e.f>", b"DATA") +
    b"x" * 1200 + CRLF + b".\r\nQUIT\r\n",
    "nul-bytes": b"EHLO c\x00d\r\nNOOP\r\nMAIL FROM:<a\x00@b.c>\r\n",
    "bare-endings": b"EHLO c\nNOOP\rQUIT\r\nNOOP\r\n",
    "vrfy-help": lines(b"VRFY root", b"VRFY", b"HELP", b"HELP DATA",
                       b"NOOP x", b"NOOP "),
    "quit-then-more": lines(b"EHLO c", b"QUIT", b"NOOP", b"MAIL FROM:<a@b.c>"),
    "two-transactions": lines(
        b"EHLO c", b"MAIL FROM:<a@b.c>", b"RCPT TO:<d@e.f>", b"DATA",
        b"one", b".", b"MAIL FROM:<a@b.c>", b"RCPT TO:<d@e.f>", b"DATA",
        b"two", b".", b"QUIT"),
}

# (flags, size octets) for command seeds that need options or TLS marks.
COMMAND_VARIANTS = {
    # The marked second chunk arrives after the handshake: EHLO again, then a
    # pipelined transaction over TLS.
    "starttls-then-tls": (0x00, (0x19, 0xff), lines(
        b"EHLO c.example", b"STARTTLS") + lines(
        b"EHLO c.example", b"STARTTLS", b"MAIL FROM:<a@b.c>",
        b"RCPT TO:<d@e.f>", b"DATA", b"x", b".", b"QUIT")),
    "no-starttls-offered": (0x01, (), lines(b"EHLO c", b"STARTTLS", b"QUIT")),
    "implicit-tls": (0x02, (), lines(b"EHLO c", b"STARTTLS", b"QUIT")),
    "strict-limits": (0x1c, (), lines(
        b"EHLO c", b"MAIL FROM:<a@b.c> SIZE=100", b"MAIL FROM:<a@b.c>",
        b"RCPT TO:<a@b.c>", b"RCPT TO:<b@b.c>", b"RCPT TO:<c@b.c>", b"DATA") +
        b"y" * 80 + CRLF + b".\r\n"),
    "long-hostname-timeout": (0x60, (), lines(b"EHLO c", b"NOOP")),
    "bytewise-pipelined": (0x00, (0x00,), COMMANDS["pipelined"]),
    "split-starttls": (0x00, (0x03, 0x09, 0x80), COMMANDS["starttls-injection"]),
    # Command order (the harness's model of RFC 5321 / 3207).
    "order-violations": (0x00, (), lines(
        b"MAIL FROM:<a@b.c>", b"RCPT TO:<a@b.c>", b"DATA", b"EHLO c",
        b"RCPT TO:<a@b.c>", b"DATA", b"MAIL FROM:<a@b.c>",
        b"MAIL FROM:<a@b.c>", b"DATA", b"RCPT TO:<a@b.c>", b"RSET",
        b"RCPT TO:<a@b.c>", b"QUIT")),
    "starttls-resets": (0x00, (0x1e, 0x80, 0x7f), lines(
        b"EHLO c", b"MAIL FROM:<a@b.c>", b"STARTTLS", b"MAIL FROM:<a@b.c>",
        b"EHLO c", b"STARTTLS", b"MAIL FROM:<a@b.c>", b"QUIT")),
    "dot-stuffing": (0x10, (), lines(
        b"EHLO c", b"MAIL FROM:<a@b.c>", b"RCPT TO:<a@b.c>", b"DATA",
        b"..leading dot", b".", b"MAIL FROM:<a@b.c>", b"RCPT TO:<a@b.c>",
        b"DATA", b"x" * 70, b". not the end", b".", b"QUIT")),
    "size-boundaries": (0x10, (), lines(
        b"EHLO c", b"MAIL FROM:<a@b.c> SIZE=64", b"RSET",
        b"MAIL FROM:<a@b.c> SIZE=65", b"MAIL FROM:<a@b.c> SIZE=18446744073709551615",
        b"MAIL FROM:<a@b.c> SIZE=18446744073709551617",
        b"MAIL FROM:<a@b.c> SIZE=00000000000000000064",
        b"RCPT TO:<a@b.c> NOTIFY=NEVER", b"RCPT TO:<a@b.c> SIZE=1", b"QUIT")),
    "data-long-line": (0x00, (), lines(
        b"HELO c", b"MAIL FROM:<a@b.c>", b"RCPT TO:<a@b.c>", b"DATA",
        b"y" * 1200, b".", b"QUIT")),
}

# Client fuzzer: flags choose implicit TLS and what follows the handshake.
CLIENT = {
    "quit-after-tls": (0x00, (), lines(
        b"220 mx ESMTP", b"250-mx", b"250 STARTTLS", b"220 go", b"221 bye")),
    "ehlo-after-tls": (0x02, (), lines(
        b"220 mx ESMTP", b"250-mx", b"250 STARTTLS", b"220 go", b"250-mx",
        b"250 SIZE 1000", b"221 bye")),
    "message-after-tls": (0x04, (), lines(
        b"220 mx ESMTP", b"250-mx", b"250 STARTTLS", b"220 go", b"250-mx",
        b"250 SIZE 100000", b"250 ok", b"250 ok", b"354 go", b"250 queued",
        b"221 bye")),
    "big-message-two-sessions": (0x1c, (), lines(
        b"220 mx ESMTP", b"250-mx", b"250 STARTTLS", b"220 go", b"250 mx",
        b"250 ok", b"251 forwarded", b"354 go", b"250 queued", b"221 bye") * 2),
    "implicit-tls": (0x05, (), lines(
        b"220 mx ESMTP", b"250 mx", b"250 ok", b"250 ok", b"354 go",
        b"250 queued", b"221 bye")),
    "no-starttls": (0x00, (), lines(b"220 mx", b"250-mx", b"250 SIZE")),
    "refused": (0x00, (), lines(b"220 mx", b"250 STARTTLS",
                                b"454 4.7.0 TLS not available")),
    "banner-rejected": (0x00, (), lines(b"554 5.7.1 go away")),
    "injection": (0x00, (), lines(b"220 mx", b"250 STARTTLS",
                                  b"220 go", b"250 injected")),
    "spurious-tls": (0x00, (0x03, 0x85), lines(b"220 mx", b"250 STARTTLS")),
    "garbage": (0x00, (), b"220 mx\r\n250\rSTARTTLS\r\n"),
    # Flag 0x20: the handshake stays pending until a marked chunk. The first
    # two chunks (36 + 8 octets) end right after "220 go\r\n", so what
    # follows arrives in later reads, during the handshake.
    "pending-handshake-clean": (0x20, (0x23, 0x07, 0x88), lines(
        b"220 mx ESMTP", b"250-mx", b"250 STARTTLS", b"220 go", b"221 bye")),
    "pending-handshake-injected-reply": (0x20, (0x23, 0x07), lines(
        b"220 mx ESMTP", b"250-mx", b"250 STARTTLS", b"220 go",
        b"250 injected", b"221 bye")),
    "pending-handshake-same-read": (0x20, (), lines(
        b"220 mx ESMTP", b"250-mx", b"250 STARTTLS", b"220 go",
        b"250 injected")),
    "pending-handshake-partial-line": (0x20, (0x23, 0x07, 0x02, 0x86), lines(
        b"220 mx ESMTP", b"250-mx", b"250 STARTTLS", b"220 go", b"221 bye")),
    # Flag 0x40: the dialogue is told when octets followed a reply in its
    # read. One read per reply: a whole session (chunks of 8, 22, then 8).
    "more-received-one-reply-per-read": (0x44, (0x07, 0x15, 0x07, 0x07, 0x07, 0x07, 0x07), lines(
        b"220 mx", b"250-mx", b"250 STARTTLS", b"220 go", b"250 mx", b"250 ok", b"250 ok",
        b"354 go", b"250 ok", b"221 by")),
    # The banner and the EHLO reply in one read: a reply before its command.
    "more-received-reply-before-command": (0x40, (), lines(b"220 mx", b"250 STARTTLS")),
    # Octets behind the 220 to STARTTLS in its read: injection.
    "more-received-starttls-injection": (0x40, (0x0d, 0x15, 0x15), lines(
        b"220 mx ESMTP", b"250-mx", b"250 STARTTLS", b"220 go", b"250 injected")),
    # Failure categories: the server closes, or refuses, in each phase.
    "closed-after-banner": (0x00, (), lines(b"220 mx")),
    "closed-after-ehlo-under-tls": (0x02, (), lines(
        b"220 mx", b"250-mx", b"250 STARTTLS", b"220 go")),
    "post-tls-ehlo-rejected": (0x02, (), lines(
        b"220 mx", b"250-mx", b"250 STARTTLS", b"220 go", b"550 no")),
    "mail-rejected": (0x04, (), lines(
        b"220 mx", b"250-mx", b"250 STARTTLS", b"220 go", b"250 mx", b"550 no")),
    "quit-refused": (0x00, (0x07, 0x15, 0x07), lines(
        b"220 mx", b"250-mx", b"250 STARTTLS", b"220 go", b"500 what")),
}


def write(folder, name, data):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "seed-" + name), "wb") as f:
        f.write(data)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(
        os.path.abspath(__file__))
    corpora = os.path.join(root, "corpora")
    reply_dir = os.path.join(corpora, "smtp_reply_fuzzer")
    for name, stream in REPLIES.items():
        write(reply_dir, name, header() + stream)
    for name, (flags, stream) in REPLY_LIMIT_SEEDS.items():
        write(reply_dir, name, header(flags) + stream)
    for name, sizes in SPLITS.items():
        write(reply_dir, "postfix-" + name,
              header(0, sizes) + REPLIES["postfix-session"])
        write(reply_dir, "bare-lf-" + name, header(0, sizes) +
              REPLIES["mixed-endings"])

    command_dir = os.path.join(corpora, "smtp_command_fuzzer")
    for name, stream in COMMANDS.items():
        write(command_dir, name, header() + stream)
    for name, (flags, sizes, stream) in COMMAND_VARIANTS.items():
        write(command_dir, name, header(flags, sizes) + stream)

    client_dir = os.path.join(corpora, "smtp_client_fuzzer")
    for name, (flags, sizes, stream) in CLIENT.items():
        write(client_dir, name, header(flags, sizes) + stream)


if __name__ == "__main__":
    main()
