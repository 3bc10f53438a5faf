#!/usr/bin/env python3
"""Hostile SMTP clients for scripts/soak, against one loopback port.

Runs until --seconds have passed, at most --max-sockets connections open at
once, each mode in its own thread, every socket bounded in time. Loopback
only: the host must be in 127.0.0.0/8. Prints one line of counts at the end.

Modes: slowloris (a command one octet a second), pipelining after STARTTLS
(STARTTLS and more commands in one write, then plaintext where TLS should
start), oversized lines (a 100 KB line without end, and 2,000-octet lines),
idle connections (read the banner, then nothing), churn (connect and close
at once, half of them with RST).
"""
import argparse
import ipaddress
import socket
import struct
import threading
import time

counts = {}
lock = threading.Lock()


def count(key):
    with lock:
        counts[key] = counts.get(key, 0) + 1


class Budget:
    """Bounds the sockets open at once across all modes."""

    def __init__(self, n):
        self.sem = threading.BoundedSemaphore(n)

    def connect(self, addr, timeout):
        if not self.sem.acquire(timeout=1):
            return None
        try:
            s = socket.create_connection(addr, timeout=timeout)
            return s
        except OSError:
            self.sem.release()
            count("connect_failed")
            return None

    def close(self, s, rst=False):
        try:
            if rst:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
        finally:
            self.sem.release()


def read_some(s, limit=4096):
    try:
        return s.recv(limit)
    except OSError:
        return b""


def slowloris(addr, budget, end):
    while time.time() < end:
        s = budget.connect(addr, 5)
        if s is None:
            continue
        try:
            read_some(s)
            for b in b"EHLO slowloris.invalid\r\n":
                if time.time() >= end:
                    break
                s.send(bytes([b]))
                time.sleep(1.0)
            count("slowloris")
        except OSError:
            count("slowloris_cut")  # the server's timeout ended it
        finally:
            budget.close(s)


def pipelining_after_starttls(addr, budget, end):
    while time.time() < end:
        s = budget.connect(addr, 5)
        if s is None:
            continue
        try:
            read_some(s)
            s.sendall(b"EHLO p.invalid\r\n")
            read_some(s)
            s.sendall(b"STARTTLS\r\nNOOP\r\nMAIL FROM:<a@b.invalid>\r\nRSET\r\n")
            read_some(s)
            s.sendall(b"EHLO plaintext-where-tls-should-be\r\n")
            read_some(s)
            count("pipelining")
        except OSError:
            count("pipelining_cut")
        finally:
            budget.close(s)
        time.sleep(0.05)


def oversized(addr, budget, end):
    i = 0
    while time.time() < end:
        s = budget.connect(addr, 5)
        if s is None:
            continue
        try:
            read_some(s)
            if i % 2 == 0:
                s.sendall(b"EHLO " + b"x" * 100000)  # no end of line
            else:
                for _ in range(5):
                    s.sendall(b"NOOP " + b"y" * 2000 + b"\r\n")
            read_some(s)
            count("oversized")
        except OSError:
            count("oversized_cut")
        finally:
            budget.close(s)
        i += 1
        time.sleep(0.05)


def idle(addr, budget, end, hold):
    while time.time() < end:
        s = budget.connect(addr, hold + 5)
        if s is None:
            continue
        try:
            read_some(s)
            deadline = min(end, time.time() + hold)
            s.settimeout(max(0.1, deadline - time.time()))
            read_some(s)  # returns when the server gives up on us, or at the deadline
            count("idle")
        except OSError:
            count("idle_cut")
        finally:
            budget.close(s)


def churn(addr, budget, end):
    i = 0
    while time.time() < end:
        s = budget.connect(addr, 5)
        if s is None:
            continue
        budget.close(s, rst=(i % 2 == 0))
        count("churn")
        i += 1
        time.sleep(0.01)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--max-sockets", type=int, default=64)
    p.add_argument("--idle-hold", type=float, default=30)
    a = p.parse_args()
    if not ipaddress.ip_address(a.host).is_loopback:
        raise SystemExit("soak-hostile: loopback addresses only")
    if not 0 < a.seconds <= 24 * 3600:
        raise SystemExit("soak-hostile: --seconds must be in (0, 86400]")
    addr = (a.host, a.port)
    end = time.time() + a.seconds
    budget = Budget(a.max_sockets)
    threads = [threading.Thread(target=f, args=(addr, budget, end) + extra, daemon=True)
               for f, extra in [(slowloris, ()), (slowloris, ()), (pipelining_after_starttls, ()),
                                (oversized, ()), (idle, (a.idle_hold,)), (idle, (a.idle_hold,)),
                                (churn, ())]]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(0, end - time.time()) + 40)
    print("hostile " + " ".join(f"{k}={v}" for k, v in sorted(counts.items())), flush=True)


if __name__ == "__main__":
    main()
