"""System tests: `ingot run` (standalone: allocation and announcement from files, no Kubernetes; issue 7).

BGP: a node namespace runs `ingot run -f DIR` with the seed's bgp.yml unchanged and a Service file; BIRD
(172.30.8.35, AS 64500) learns 198.51.100.1/32 from it and the client's traffic reaches the node. SIGHUP
after adding a second Service file announces 198.51.100.2; SIGHUP with an invalid file (bad YAML, then an
invalid pool) logs the error with the file and leaves both announcements untouched; SIGTERM withdraws.
L2: two nodes run `ingot run` with the seed's l2.yml, a Service and both Node objects (the member set for
the election): only the elected node answers ARP for 192.168.1.240.
Graceful restart: a BGPPeer with enableGracefulRestart and BIRD as helper; kill -9 of `ingot run` and a
restart never take the route out of BIRD. /readyz and /metrics (--metrics-addr) and `ingot status` (--control-socket).
"""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from fixtures.netns import Node, wait_for

sys.path.insert(0, str(Path(__file__).resolve().parent / "data" / "speaker"))
import seedlab  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"



def control_path(ns) -> Path:
    return ns.workdir / "control.sock"


def status(ingot_bin, ns) -> dict:
    """`ingot status --json` against the namespace's ingot run (the socket is a file: no netns needed)."""
    out = subprocess.run([str(ingot_bin), "status", "--json", "--socket", str(control_path(ns))],
                         capture_output=True, text=True, timeout=15, check=True).stdout
    return json.loads(out)


def start_run(ns, ingot_bin, paths, name: str, log: str) -> subprocess.Popen:
    argv = [str(ingot_bin), "run", "--node-name", name, "--log-level", "debug",
            "--metrics-addr", f"127.0.0.1:{seedlab.METRICS_PORT}", "--control-socket", str(control_path(ns))]
    for p in paths:
        argv += ["-f", str(p)]
    return ns.popen(argv, log=log)


def log_text(ns, log: str) -> str:
    return (ns.workdir / log).read_text(errors="replace")


def test_run_bgp_reload(topology, bird, ingot_bin, tmp_path):
    lab = seedlab.build_bgp_seed_lab(topology, Node, nodes=1)
    router = seedlab.start_bird(bird, lab.router)
    node = lab.nodes[0]
    node.serve_vip(seedlab.SEED_BGP_IP)
    files = tmp_path / "files"
    files.mkdir()
    (files / "10-config.yml").write_text((DATA / "bgp.yml").read_text())
    (files / "20-nginx.yml").write_text(seedlab.lb_service("nginx"))
    proc = start_run(node, ingot_bin, [files], "node1", "run.log")

    first = seedlab.SEED_BGP_IP + "/32"
    wait_for(lambda: seedlab.bird_next_hops(router, first) == {lab.node_ips[0]}, timeout=30,
             what="198.51.100.1/32 from the node in BIRD")
    counts = lab.client.probe(seedlab.SEED_BGP_IP, flows=8)
    assert set(counts) == {"node1"}, counts

    # /readyz and /metrics (inside the node namespace).
    assert seedlab.scrape(node, "/readyz")[0] == 200
    body = seedlab.scrape(node)[1]
    assert seedlab.metric_value(body, "metallb_bgp_session_up", peer=f"{seedlab.SEED_ROUTER_IP}:179") == 1, body
    assert seedlab.metric_value(body, "metallb_bgp_announced_prefixes_total", peer=f"{seedlab.SEED_ROUTER_IP}:179") == 1, body
    assert seedlab.metric_value(body, "metallb_speaker_announced", ip=seedlab.SEED_BGP_IP, node="node1",
                                protocol="bgp", service="default/nginx") == 1, body
    st = status(ingot_bin, node)
    st = st.get("result", st)
    assert [(x["peer"], x["asn"], x["state"]) for x in st["bgp"]["sessions"]] == [("peer1", 64500, "Established")], st

    # SIGHUP after adding a Service: the next free address is announced too.
    (files / "30-web.yml").write_text(seedlab.lb_service("web"))
    proc.send_signal(signal.SIGHUP)
    second = "198.51.100.2/32"
    wait_for(lambda: seedlab.bird_route(router, second), timeout=15, what="198.51.100.2/32 after SIGHUP")

    # Invalid files leave the announcements untouched: bad YAML, then a bad pool address.
    for bad in ("garbage: [\n", (DATA / "bgp.yml").read_text().replace("198.51.100.0/24", "198.51.100.0/33")):
        (files / "40-bad.yml").write_text(bad)
        before = log_text(node, "run.log").count("files refused")
        proc.send_signal(signal.SIGHUP)
        wait_for(lambda: log_text(node, "run.log").count("files refused") > before, timeout=10,
                 what="the reload refused")
        time.sleep(1)
        assert seedlab.bird_route(router, first) and seedlab.bird_route(router, second)
        assert proc.poll() is None
    assert "file=" + str(files / "40-bad.yml") in log_text(node, "run.log")

    # Fixed again: the bad file removed, a reload keeps both IPs with their Services.
    (files / "40-bad.yml").unlink()
    proc.send_signal(signal.SIGHUP)
    time.sleep(1)
    assert seedlab.bird_route(router, first) and seedlab.bird_route(router, second)

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0
    wait_for(lambda: not seedlab.bird_route(router, first) and not seedlab.bird_route(router, second),
             timeout=10, what="routes withdrawn on SIGTERM")


GR_CONFIG = """apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: seed
  namespace: metallb-system
spec:
  addresses:
  - 198.51.100.1/32
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata:
  name: seed
  namespace: metallb-system
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata:
  name: router
  namespace: metallb-system
spec:
  myASN: 64501
  peerASN: 64500
  peerAddress: 172.30.8.35
  enableGracefulRestart: true
"""


def test_run_graceful_restart(topology, bird, ingot_bin, tmp_path):
    """kill -9 and a restart with graceful restart (BIRD as helper): the route never leaves BIRD."""
    lab = seedlab.build_bgp_seed_lab(topology, Node, nodes=1)
    router = seedlab.start_bird(bird, lab.router, graceful_restart="on")
    node = lab.nodes[0]
    files = tmp_path / "files"
    files.mkdir()
    (files / "config.yml").write_text(GR_CONFIG)
    (files / "nginx.yml").write_text(seedlab.lb_service("nginx"))
    proc = start_run(node, ingot_bin, [files], "node1", "run.log")
    prefix = seedlab.SEED_BGP_IP + "/32"
    wait_for(lambda: seedlab.bird_route(router, prefix) and router.established(), timeout=30,
             what="the route in BIRD")
    before = router.protocols()
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=5)
    time.sleep(1)
    assert seedlab.bird_route(router, prefix), "route lost while the speaker was down"
    start_run(node, ingot_bin, [files], "node1", "run2.log")
    deadline = time.monotonic() + 20
    while True:
        assert seedlab.bird_route(router, prefix), "route withdrawn during the restart"
        est = router.established()
        if est and any(router.protocols()[n]["since"] != before.get(n, {}).get("since") for n in est):
            break
        assert time.monotonic() < deadline, "the session did not come back"
        time.sleep(0.2)
    time.sleep(2)   # past the End-of-RIB: the stale route was replaced, not flushed
    assert seedlab.bird_next_hops(router, prefix) == {lab.node_ips[0]}


def test_run_l2_election(topology, ingot_bin, tmp_path):
    lab = seedlab.build_l2_seed_lab(topology, Node, nodes=2)
    names = ["node1", "node2"]
    files = tmp_path / "files"
    files.mkdir()
    (files / "config.yml").write_text((DATA / "l2.yml").read_text())
    (files / "nginx.yml").write_text(seedlab.lb_service("nginx"))
    (files / "nodes.yml").write_text("---\n".join(seedlab.node_object(n) for n in names))
    macs = {}
    for name, ns in zip(names, lab.nodes):
        macs[name] = ns.mac().lower()
        start_run(ns, ingot_bin, [files], name, "run.log")
    owner = seedlab.l2_owner(names, seedlab.SEED_L2_IP)
    wait_for(lambda: seedlab.arping_macs(lab.client, seedlab.SEED_L2_IP) == {macs[owner]}, timeout=20,
             what=f"ARP answer from the elected node {owner}")
    assert seedlab.arping_macs(lab.client, seedlab.SEED_L2_IP, count=3, wait=2) == {macs[owner]}
    # `ingot status`: the owner lists the announcement on eth0, the other node none.
    for name, ns in zip(names, lab.nodes):
        st = status(ingot_bin, ns)
        rows = st.get("result", st)["l2"]["announcements"]
        want = [{"ip": seedlab.SEED_L2_IP, "interface": "eth0", "service": "default/nginx", "node": name}]
        assert rows == (want if name == owner else []), (name, rows)
