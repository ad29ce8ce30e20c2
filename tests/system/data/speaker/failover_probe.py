"""Continuous client traffic to a service IP, for measuring failover (demo and benchmarks).

Run inside the client's namespace:  failover_probe.py DST [--port 8080] [--interval-ms 5]
It sends one UDP datagram every interval to DST:port (the responders of fixtures/netns.py
Node.serve_vip answer with their node's name), prints "ready" once the socket is up, and on
SIGTERM or SIGINT prints one JSON object: {"replies": [[t_received, node], ...], "sent": N}
with CLOCK_MONOTONIC times, which is the same clock in every network namespace, so the caller
can relate them to the moment it killed a node. One socket keeps one flow, as a real client
connection looks to the node that owns the IP; the responders answer with their name only, so
a reply's time is when it arrived (at most one interval after the service came back).
"""
from __future__ import annotations

import argparse
import json
import select
import signal
import socket
import sys
import time


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("dst")
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--interval-ms", type=float, default=5.0)
    a = ap.parse_args()

    fam = socket.AF_INET6 if ":" in a.dst else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setblocking(False)
    stop = False

    def on_signal(signo, frame):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    interval = a.interval_ms / 1000.0
    replies: list[list] = []
    sent = 0
    print("ready", flush=True)
    next_send = time.monotonic()
    while not stop:
        now = time.monotonic()
        if now >= next_send:
            try:
                s.sendto(b"who", (a.dst, a.port))
                sent += 1
            except OSError:
                pass    # no neighbour yet (EHOSTUNREACH while ARP fails): the gap is the measurement
            next_send += interval
            if next_send < now:
                next_send = now + interval
        try:
            ready, _, _ = select.select([s], [], [], max(0.0, next_send - time.monotonic()))
        except InterruptedError:
            continue
        if ready:
            try:
                body = s.recv(2048)
            except OSError:
                continue
            replies.append([time.monotonic(), body.decode(errors="replace")])
    print(json.dumps({"replies": replies, "sent": sent}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
