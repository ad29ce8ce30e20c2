"""System test: a BGP connection the peer closes before the OPEN exchange is retried within seconds.

Why: a router that accepts the TCP connection and closes it at once is what BIRD does with a node's new
connection while it still tears down that node's previous session (a config change that resets the
sessions reconnects within the same millisecond as the Cease). The speaker must then try again after its
short IdleHold backoff, not sit out ConnectRetryTime (120 s by default) in Active: with a passive router
(BIRD's dynamic neighbours, the usual MetalLB setup) nothing else brings the session back.

Deterministic: a one-shot listener on the router's 172.30.8.35:179 accepts the node's first connection,
waits for its OPEN and closes it; then BIRD starts, and the session must be Established within 15 s.

Run: INGOT_BIN=<build>/ingot /usr/bin/python3 -m pytest tests/system/test_speaker_bgp_reconnect.py (as root).
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from fixtures.netns import Node, wait_for

sys.path.insert(0, str(Path(__file__).resolve().parent / "data" / "speaker"))
import seedlab  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"
RETRY_LIMIT = 15.0   # IdleHold starts at 2 s; ConnectRetry would be 90-120 s

SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default
spec:
  type: LoadBalancer
  ports:
  - name: http
    port: 80
    protocol: TCP
"""

# Accept one connection on 172.30.8.35:179, wait for the node's OPEN (so its session is in OpenSent), close.
ONE_SHOT = r"""
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("172.30.8.35", 179))
s.listen(1)
print("ready", flush=True)
c, peer = s.accept()
c.settimeout(10)
c.recv(4096)
c.close()
s.close()
print("closed", peer[0], flush=True)
"""


def test_connection_closed_in_opensent_is_retried_soon(topology, bird, ingot_bin, tmp_path):
    lab = seedlab.build_bgp_seed_lab(topology, Node, nodes=1)
    node = lab.nodes[0]
    files = tmp_path / "files"
    files.mkdir()
    (files / "bgp.yml").write_text((DATA / "bgp.yml").read_text())
    (files / "web.yml").write_text(SERVICE)
    node.serve_vip(seedlab.SEED_BGP_IP)

    shot = lab.router.popen([seedlab.PYTHON, "-c", ONE_SHOT], stdout=subprocess.PIPE)
    seedlab.wait_ready(shot, "one-shot BGP listener")
    node.popen([str(ingot_bin), "run", "--node-name", "node1", "--log-level", "debug", "-f", str(files)],
               log="run.log")
    line = wait_for(lambda: shot.stdout.readline().decode().strip(), timeout=20,
                    what="the node's first connection accepted and closed")
    assert line == f"closed {lab.node_ips[0]}", line
    shot.wait(timeout=5)

    router = seedlab.start_bird(bird, lab.router)
    t0 = time.monotonic()
    wait_for(lambda: router.established(), timeout=150, interval=0.2, what="the session established")
    dt = time.monotonic() - t0
    print(f"session established {dt:.1f} s after BIRD started")
    assert dt < RETRY_LIMIT, (f"{dt:.1f} s: the speaker waited out ConnectRetryTime after the peer closed "
                              f"the connection in OpenSent\n" + (node.workdir / "run.log").read_text()[-3000:])
    wait_for(lambda: seedlab.bird_next_hops(router, seedlab.SEED_BGP_IP + "/32") == {lab.node_ips[0]},
             timeout=10, what="the route in BIRD")
