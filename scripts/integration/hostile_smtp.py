#!/usr/bin/env python3
"""A misbehaving SMTP server on 127.0.0.1 for the integration tests.

hostile_smtp.py MODE: listens on a free loopback port, prints "port N",
serves at most --connections connections one after another and exits after
--lifetime seconds whatever happens. Modes:
  early-reply  the EHLO reply and a "220" to the STARTTLS not yet sent, in
               one segment
  trickle      the banner one octet every --interval seconds, never ending
"""
import argparse
import socket
import time


def serve(conn, mode, interval, end):
    conn.settimeout(max(0.1, end - time.time()))
    if mode == "trickle":
        for b in b"220 " + b"x" * 100000:
            if time.time() >= end:
                return
            conn.sendall(bytes([b]))
            time.sleep(interval)
        return
    conn.sendall(b"220 hostile.test ESMTP\r\n")
    buf = b""
    while b"\r\n" not in buf:
        chunk = conn.recv(1024)
        if not chunk:
            return
        buf += chunk
    conn.sendall(b"250-hostile.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n"
                 b"220 2.0.0 Ready to start TLS\r\n")
    while conn.recv(1024):
        pass


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["early-reply", "trickle"])
    p.add_argument("--connections", type=int, default=4)
    p.add_argument("--lifetime", type=float, default=30)
    p.add_argument("--interval", type=float, default=0.1)
    a = p.parse_args()
    end = time.time() + min(a.lifetime, 120)
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(8)
    print("port", lsock.getsockname()[1], flush=True)
    for _ in range(a.connections):
        lsock.settimeout(max(0.1, end - time.time()))
        try:
            conn, _ = lsock.accept()
        except OSError:
            break
        try:
            serve(conn, a.mode, a.interval, end)
        except OSError:
            pass
        finally:
            conn.close()
        if time.time() >= end:
            break


if __name__ == "__main__":
    main()
