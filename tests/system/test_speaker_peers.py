"""System tests: BGPPeer fields the BGP engine acts on, through standalone `ingot run` against BIRD 2.

The seed's lab (tests/system/data/speaker/seedlab.py): BIRD on 172.30.8.35 (AS 64500, passive, any node of
172.30.8.0/24 as a neighbour) and one node 172.30.8.11 running `ingot run -f DIR --node-name node1` with an
IPAddressPool 198.51.100.1/32, a BGPAdvertisement, a Service and one BGPPeer. Checked through BIRD's own
CLI and kernel:

* bfdProfile: BIRD's BFD session to the node comes Up with the profile's intervals (receiveInterval 200 ms,
  transmitInterval 150 ms, detectMultiplier 4 against BIRD's 100 ms: BIRD shows interval 0.200 and
  timeout 0.600), and the route reaches BIRD's kernel; the node frozen (SIGSTOP of `ingot run`: nothing
  closes the TCP connection) makes BIRD drop the route within a few seconds, long before the 90 s hold time.
  /metrics (MetalLB's FRR-mode BFD names): metallb_bfd_session_up{peer} 1, control packets both ways growing,
  one up event and no down event; after the freeze, a down event and a second up event.
* bfdProfile with dynamic neighbours (BIRD `neighbor range`, FRR `bgp listen range`, which start BFD only
  once BGP is up): Established and BFD Up (no deadlock: ingot does not hold BGP until BFD is Up); the node
  frozen, the route goes within BFD detection; thawed, it is back within a few seconds with the default
  connectTime of 120 s.
* holdTime / keepaliveTime: BIRD shows the negotiated hold time (30 s, the smaller of ours and its 60 s),
  and logs our KEEPALIVEs arriving every keepaliveTime (3 s; the default would be 10 s).
* holdTime 0s: proposed as 0, BIRD runs the session without hold timer and keepalives.
* passwordSecret: the TCP-MD5 key from a Secret in the files; BIRD with the same key establishes, with another
  key it does not.
* vrf: the node's link is in a Linux VRF (no route in the default table): the session bound to it establishes.
* localASN: the session presents it instead of myASN, alone in the AS_PATH.
* dualStackAddressFamily: an IPv6 route over the IPv4 session (next hop the node's IPv6 address), none without it.
* dynamicASN external against BIRD in another AS: Established, the route in BIRD, `ingot status` shows
  the AS learned from the OPEN. dynamicASN internal against BIRD in the node's AS: Established; against
  BIRD in another AS: BIRD receives NOTIFICATION OPEN Message Error / Bad Peer AS (RFC 4271 §6.2).
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fixtures.netns import Node, wait_for

sys.path.insert(0, str(Path(__file__).resolve().parent / "data" / "speaker"))
import seedlab  # noqa: E402

PREFIX = seedlab.SEED_BGP_IP + "/32"

BASE = """apiVersion: metallb.io/v1beta1
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
apiVersion: v1
kind: Service
metadata:
  name: nginx
  namespace: default
spec:
  type: LoadBalancer
  ports:
  - name: http
    port: 80
    protocol: TCP
  selector:
    app: nginx
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata:
  name: router
  namespace: metallb-system
spec:
  myASN: 64501
  peerAddress: 172.30.8.35
"""

BFD_PROFILE = """---
apiVersion: metallb.io/v1beta1
kind: BFDProfile
metadata:
  name: fast
  namespace: metallb-system
spec:
  receiveInterval: 200
  transmitInterval: 150
  detectMultiplier: 4
"""


def start_run(node, ingot_bin, files: Path, config: str, metrics: bool = False) -> subprocess.Popen:
    files.mkdir(exist_ok=True)
    (files / "config.yml").write_text(config)
    argv = [str(ingot_bin), "run", "--node-name", "node1", "--log-level", "debug",
            "--control-socket", str(node.workdir / "control.sock"), "-f", str(files)]
    if metrics:
        argv[2:2] = ["--metrics-addr", f"127.0.0.1:{seedlab.METRICS_PORT}"]
    return node.popen(argv, log="run.log")


def run_log(node) -> str:
    return (node.workdir / "run.log").read_text(errors="replace")


def status_section(ingot_bin, node, section: str) -> list:
    out = subprocess.run([str(ingot_bin), "status", "--json", "--socket", str(node.workdir / "control.sock")],
                         capture_output=True, text=True, timeout=15, check=True).stdout
    st = json.loads(out)
    return st.get("result", st)[section]["sessions"]


def sessions(ingot_bin, node) -> list:
    return status_section(ingot_bin, node, "bgp")


def bird_protocol_all(router) -> str:
    """`show protocols all` of the BGP protocol(s) the node's session landed in."""
    return router.birdc("show", "protocols", "all").stdout


def bird_bfd_session(router, node_ip: str):
    out = router.birdc("show", "bfd", "sessions").stdout
    for line in out.splitlines():
        parts = line.split()
        if parts and parts[0] == node_ip:
            return parts[2] == "Up", line.strip()
    return False, out


BFD_FAMILIES = ("session_up", "control_packet_input", "control_packet_output", "session_up_events",
                "session_down_events")


def bfd_metrics(node) -> dict[str, float | None]:
    """metallb_bfd_*{peer} of the one peer, from the node's /metrics (promtool-clean, MetalLB's types)."""
    from test_ops import check_metallb_families, metric_types, promtool_clean
    code, body = seedlab.scrape(node)
    assert code == 200, body
    promtool_clean(body)
    check_metallb_families(body)
    types = metric_types(body)
    assert types["metallb_bfd_session_up"] == "gauge", types
    assert all(types[f"metallb_bfd_{k}"] == "untyped" for k in BFD_FAMILIES[1:]), types  # counters, no _total
    return {k: seedlab.metric_value(body, f"metallb_bfd_{k}") for k in BFD_FAMILIES}


def test_bfd_profile(topology, bird, ingot_bin, tmp_path):
    from fixtures.routers import Peer
    lab = seedlab.build_bgp_seed_lab(topology, Node, nodes=1)
    # The node as a configured neighbour: BIRD asks for a BFD session when the protocol starts (for a
    # range neighbour only once BGP is up: test_bfd_dynamic_neighbour).
    router = bird(lab.router, asn=seedlab.SEED_ROUTER_ASN, router_id=seedlab.SEED_ROUTER_IP,
                  peers=[Peer(lab.node_ips[0], seedlab.SEED_NODE_ASN)], passive=True, bfd=True, start=False)
    router.conf.write_text(router.conf.read_text().replace(
        "protocol bfd bfd1 { }",
        'protocol bfd bfd1 { interface "*" { interval 100 ms; multiplier 3; }; }'))
    router.start()
    node, node_ip = lab.nodes[0], lab.node_ips[0]
    # connectTime 2 s: when BFD is Up again BIRD may still refuse the first connection (its BGP is in
    # its error wait), and the next attempt comes after ConnectRetryTime (RFC 4271 §8.2.2 Active).
    config = BASE + "  peerASN: 64500\n  bfdProfile: fast\n  connectTime: 2s\n" + BFD_PROFILE
    proc = start_run(node, ingot_bin, tmp_path / "files", config, metrics=True)
    try:
        details = router.wait_for(lambda: (lambda ok, d: d if ok else None)(*bird_bfd_session(router, node_ip)),
                                  timeout=30, what="BIRD's BFD session to the node Up")
        print(f"\n[bird] BFD Up: {details}")
        first = wait_for(lambda: (lambda b: b if b["session_up"] == 1 else None)(bfd_metrics(node)),
                         timeout=10, interval=0.5, what="metallb_bfd_session_up 1")
        assert first["session_up_events"] == 1 and first["session_down_events"] == 0, first
        assert first["control_packet_input"] >= 1 and first["control_packet_output"] >= 1, first
        time.sleep(1.0)
        again = bfd_metrics(node)
        # at least every 200 ms from BIRD and every 150 ms from us while Up (margin for a loaded machine)
        assert again["control_packet_input"] >= first["control_packet_input"] + 2, (first, again)
        assert again["control_packet_output"] >= first["control_packet_output"] + 2, (first, again)
        # "172.30.8.11  eth0  Up  <since>  0.200  0.600": BIRD sends no faster than our
        # receiveInterval and detects after our detectMultiplier x our transmitInterval.
        cols = details.split()
        assert float(cols[-2]) == pytest.approx(0.200), details
        assert float(cols[-1]) == pytest.approx(0.600), details
        # `ingot status`: the BFD section shows the session Up with the negotiated timing
        bfd_rows = wait_for(lambda: (lambda r: r if r and r[0]["state"] == "Up" else None)(
            status_section(ingot_bin, node, "bfd")), timeout=10, interval=0.5, what="status bfd Up")
        assert bfd_rows[0]["peer"] and bfd_rows[0]["remote_state"] == "Up", bfd_rows
        assert bfd_rows[0]["tx_interval_ms"] >= 100 and bfd_rows[0]["up_count"] >= 1, bfd_rows
        router.wait_for(lambda: PREFIX in router.kernel_routes(), timeout=30, what=f"{PREFIX} in BIRD's kernel")
        # Non-strict BFD (the default): BGP was never held waiting for BFD.
        assert "strict mode" not in run_log(node), run_log(node)[-3000:]
        time.sleep(1.0)   # steady state, slow start long over

        # The node freezes: its kernel keeps the TCP connection open, only BFD can tell.
        t0 = time.monotonic()
        os.kill(proc.pid, signal.SIGSTOP)
        try:
            wait_for(lambda: PREFIX not in router.kernel_routes(), timeout=10, interval=0.02,
                     what=f"{PREFIX} leaving BIRD's kernel after the node froze")
            took = time.monotonic() - t0
        finally:
            os.kill(proc.pid, signal.SIGCONT)
        print(f"[bird] node frozen: route gone from BIRD's kernel after {took * 1000:.0f} ms "
              f"(BFD detection 600 ms, BGP hold 90 s)")
        # Detection is 0.6 s; the margin is for a loaded machine, still far from the hold time.
        assert took < 5.0
        # Thawed: BFD comes Up again (or the idle-hold backoff runs out), BGP re-establishes and the
        # route returns.
        router.wait_for(lambda: PREFIX in router.kernel_routes(), timeout=60, what=f"{PREFIX} back in BIRD's kernel")
        # the freeze counted: BFD left Up once (detection at BIRD, then ours on thawing) and came Up again
        after = wait_for(lambda: (lambda b: b if b["session_up"] == 1 and b["session_up_events"] >= 2 else None)(
            bfd_metrics(node)), timeout=30, interval=0.5, what="BFD Up again in /metrics")
        assert after["session_down_events"] >= 1, after
        assert after["session_up_events"] == after["session_down_events"] + 1, after
        print(f"[metrics] BFD Up: {first}; after the freeze: {after}")
    finally:
        node.stop(proc)




def router_bfd_up(router, node_ip: str):
    """(Up, details) of the router's BFD session to the node, through its own CLI."""
    if router.kind == "bird":
        return bird_bfd_session(router, node_ip)
    out = router.vtysh("show bfd peers json")
    for peer in json.loads(out or "[]"):
        if peer.get("peer") == node_ip:
            return peer.get("status") == "up", peer
    return False, out


@pytest.mark.parametrize("kind", ["bird", "frr"])
def test_bfd_dynamic_neighbour(topology, bird, frr, ingot_bin, tmp_path, kind):
    """A router with dynamic neighbours (BIRD `neighbor range`, FRR `bgp listen range`) and BFD: the router
    only asks for a BFD session once a BGP session from the node exists, so a speaker holding BGP until BFD
    is Up would never come up (the deadlock). ingot connects regardless (non-strict BFD by default):
    Established, then BFD Up. The node frozen: the route leaves the router's kernel within BFD detection.
    Thawed: back within a few seconds with the default connectTime (120 s): BFD coming Up, or the short
    idle-hold backoff after the BFD teardown, restarts the connection, not the ConnectRetry timer."""
    lab = seedlab.build_bgp_seed_lab(topology, Node, nodes=1)
    if kind == "bird":
        router = seedlab.start_bird(bird, lab.router, bfd=True, start=False)
        conf = router.conf.read_text()
        assert "neighbor range" in conf, conf
        router.conf.write_text(conf.replace(
            "protocol bfd bfd1 { }",
            'protocol bfd bfd1 { interface "*" { interval 100 ms; multiplier 3; }; }'))
        router.start()
    else:
        from fixtures.routers import Peer
        router = frr(lab.router, asn=seedlab.SEED_ROUTER_ASN, router_id=seedlab.SEED_ROUTER_IP,
                     peers=[Peer(seedlab.SEED_NODE_LAN_V4, seedlab.SEED_NODE_ASN)], bfd=True)
    node, node_ip = lab.nodes[0], lab.node_ips[0]
    config = BASE + "  peerASN: 64500\n  bfdProfile: fast\n" + BFD_PROFILE
    proc = start_run(node, ingot_bin, tmp_path / "files", config)
    try:
        router.wait_for(lambda: router.established(), timeout=30, what="the dynamic session Established")
        details = router.wait_for(lambda: (lambda ok, d: d if ok else None)(*router_bfd_up(router, node_ip)),
                                  timeout=30, what="the router's BFD session to the node Up")
        print(f"\n[{kind}] dynamic neighbour Established, BFD Up: {details}")
        router.wait_for(lambda: PREFIX in router.kernel_routes(), timeout=30,
                        what=f"{PREFIX} in the router's kernel")
        assert "strict mode" not in run_log(node)
        time.sleep(1.0)   # steady state, BFD slow start over

        t0 = time.monotonic()
        os.kill(proc.pid, signal.SIGSTOP)
        try:
            wait_for(lambda: PREFIX not in router.kernel_routes(), timeout=10, interval=0.02,
                     what=f"{PREFIX} leaving the router's kernel after the node froze")
            took = time.monotonic() - t0
            time.sleep(3.0)   # the router closes the dynamic session while the node is frozen
        finally:
            os.kill(proc.pid, signal.SIGCONT)
        t1 = time.monotonic()
        print(f"[{kind}] node frozen: route gone after {took * 1000:.0f} ms (BFD detection 600 ms)")
        assert took < 5.0
        router.wait_for(lambda: PREFIX in router.kernel_routes(), timeout=60, interval=0.05,
                        what=f"{PREFIX} back in the router's kernel")
        back = time.monotonic() - t1
        router.wait_for(lambda: router_bfd_up(router, node_ip)[0], timeout=30, what="the router's BFD Up again")
        log = run_log(node)
        print(f"[{kind}] node thawed: route back after {back:.1f} s (ConnectRetry 120 s); ingot: "
              f"{[ln.strip() for ln in log.splitlines() if 'BFD' in ln or 'state' in ln][-8:]}")
        # A few seconds (idle-hold backoff 1.5-2 s, the router's own connect handling), far from 120 s;
        # the margin is for a loaded machine.
        assert back < 20.0, log[-3000:]
    finally:
        node.stop(proc)

HOLD_TIMER = re.compile(r"Hold timer:\s+([\d.]+)/(\d+)")


def test_hold_and_keepalive_time(topology, bird, ingot_bin, tmp_path):
    lab = seedlab.build_bgp_seed_lab(topology, Node, nodes=1)
    router = seedlab.start_bird(bird, lab.router, hold_time=60, start=False)
    # BIRD logs every packet it receives from the node ("Got KEEPALIVE").
    router.conf.write_text(router.conf.read_text().replace("local as", "debug { packets };\n  local as", 1))
    router.start()
    node = lab.nodes[0]
    config = BASE + "  peerASN: 64500\n  holdTime: 30s\n  keepaliveTime: 3s\n"
    proc = start_run(node, ingot_bin, tmp_path / "files", config)
    try:
        router.wait_for(lambda: router.established(), timeout=30, what="the session Established")
        out = bird_protocol_all(router)
        m = HOLD_TIMER.search(out)
        assert m, out
        # Negotiated: the smaller of our 30 s and BIRD's 60 s (RFC 4271 §4.2).
        assert m.group(2) == "30", out
        log = router.dir / "bird.log"
        before = log.read_text(errors="replace").count("Got KEEPALIVE")
        time.sleep(12.0)
        got = log.read_text(errors="replace").count("Got KEEPALIVE") - before
        print(f"\n[bird] negotiated hold time {m.group(2)} s; {got} KEEPALIVEs from the node in 12 s "
              f"(keepaliveTime 3 s, jittered to 2.25-3 s by RFC 4271 §10)")
        # Every 2.25-3 s: 4 or 5 in 12 s (the default, a third of 30 s, would give at most 2).
        assert 4 <= got <= 6, got
        rows = sessions(ingot_bin, node)
        assert [(r["peer"], r["state"]) for r in rows] == [("router", "Established")], rows
        # the status names the peer's address and shows the negotiated timers and the uptime (>= the
        # 12 s above)
        assert rows[0]["address"] == f"{seedlab.SEED_ROUTER_IP}:179", rows
        assert (rows[0]["hold_time_s"], rows[0]["keepalive_s"]) == (30, 3), rows
        assert rows[0]["uptime_s"] >= 12 and rows[0]["updates_sent"] >= 1, rows
    finally:
        node.stop(proc)


@pytest.mark.parametrize("kind,router_asn,up", [
    ("external", 64500, True),
    ("internal", 64501, True),
    ("internal", 64500, False),
])
def test_dynamic_asn(topology, bird, ingot_bin, tmp_path, kind, router_asn, up):
    from fixtures.routers import Peer
    lab = seedlab.build_bgp_seed_lab(topology, Node, nodes=1)
    router = bird(lab.router, asn=router_asn, router_id=seedlab.SEED_ROUTER_IP,
                  peers=[Peer(seedlab.SEED_NODE_LAN_V4, seedlab.SEED_NODE_ASN)], passive=True)
    node = lab.nodes[0]
    config = BASE + f"  dynamicASN: {kind}\n"
    proc = start_run(node, ingot_bin, tmp_path / "files", config)
    try:
        if up:
            router.wait_for(lambda: router.established(), timeout=30, what="the session Established")
            router.wait_for(lambda: seedlab.bird_next_hops(router, PREFIX) == {lab.node_ips[0]}, timeout=30,
                            what=f"{PREFIX} from the node in BIRD")
            rows = wait_for(lambda: [r for r in sessions(ingot_bin, node) if r["state"] == "Established"],
                            timeout=10, what="ingot's session Established")
            # The AS learned from BIRD's OPEN.
            assert [(r["peer"], r["asn"]) for r in rows] == [("router", router_asn)], rows
        else:
            # BIRD's OPEN carries AS 64500, not ours: we answer OPEN Message Error / Bad Peer AS.
            router.wait_for(lambda: "Bad peer AS" in bird_protocol_all(router), timeout=30,
                            what="BIRD receiving Bad Peer AS")
            out = bird_protocol_all(router)
            print(f"\n[bird] {[ln.strip() for ln in out.splitlines() if 'Bad peer AS' in ln]}")
            assert re.search(r"Received: Bad peer AS", out), out
            assert not router.established()
            assert re.search(r"notification sent.*code=2 subcode=2", run_log(node)), run_log(node)[-3000:]
    finally:
        node.stop(proc)


SECRET = """---
apiVersion: v1
kind: Secret
metadata:
  name: bgp-auth
  namespace: metallb-system
type: kubernetes.io/basic-auth
stringData:
  password: s3cret-md5
"""


@pytest.mark.parametrize("router_password,up", [("s3cret-md5", True), ("another", False)])
def test_password_secret(topology, bird, ingot_bin, tmp_path, router_password, up):
    """passwordSecret: the TCP-MD5 key (RFC 2385) comes from the Secret in the files; BIRD with the same
    key establishes, BIRD with another key never sees a valid segment."""
    lab = seedlab.build_bgp_seed_lab(topology, Node, nodes=1)
    router = seedlab.start_bird(bird, lab.router, start=False)
    router.conf.write_text(router.conf.read_text().replace(
        "local as", f'password "{router_password}";\n  local as', 1))
    router.start()
    node = lab.nodes[0]
    config = BASE + "  peerASN: 64500\n  passwordSecret:\n    name: bgp-auth\n    namespace: metallb-system\n" + SECRET
    proc = start_run(node, ingot_bin, tmp_path / "files", config)
    try:
        if up:
            router.wait_for(lambda: seedlab.bird_next_hops(router, PREFIX) == {lab.node_ips[0]}, timeout=30,
                            what=f"{PREFIX} from the node in BIRD over TCP-MD5")
        else:
            time.sleep(8.0)
            assert not router.established()
            assert not seedlab.bird_route(router, PREFIX)
    finally:
        node.stop(proc)


def test_vrf(topology, bird, ingot_bin, tmp_path):
    """vrf: the node's link to the router is enslaved to a Linux VRF, so the default table has no route
    to BIRD; the session bound to the VRF establishes, with the node's VRF address as router id and next hop."""
    from fixtures.netns import IP
    lab = seedlab.build_bgp_seed_lab(topology, Node, nodes=1)
    router = seedlab.start_bird(bird, lab.router)
    node = lab.nodes[0]
    made = node.run([IP, "link", "add", "red", "type", "vrf", "table", "10"], check=False)
    if made.returncode != 0:
        pytest.skip(f"this kernel has no VRF devices: {made.stderr.strip()}")
    node.run([IP, "link", "set", "red", "up"])
    node.run([IP, "link", "set", "eth0", "master", "red"])
    assert node.run([IP, "route", "get", seedlab.SEED_ROUTER_IP], check=False).returncode != 0
    assert node.run([IP, "route", "get", seedlab.SEED_ROUTER_IP, "vrf", "red"], check=False).returncode == 0
    config = BASE + "  peerASN: 64500\n  vrf: red\n"
    proc = start_run(node, ingot_bin, tmp_path / "files", config)
    try:
        router.wait_for(lambda: seedlab.bird_next_hops(router, PREFIX) == {lab.node_ips[0]}, timeout=30,
                        what=f"{PREFIX} from the node's VRF in BIRD")
        out = bird_protocol_all(router)
        assert re.search(r"Neighbor ID:\s+" + re.escape(lab.node_ips[0]), out), out
    finally:
        node.stop(proc)


def test_local_asn(topology, bird, ingot_bin, tmp_path):
    """localASN: the session presents that AS instead of myASN (FRR's local-as N no-prepend replace-as):
    BIRD expecting AS 64501 establishes with a node whose myASN is 65001, and the AS_PATH holds 64501 only."""
    lab = seedlab.build_bgp_seed_lab(topology, Node, nodes=1)
    router = seedlab.start_bird(bird, lab.router)
    node = lab.nodes[0]
    config = BASE.replace("myASN: 64501", "myASN: 65001") + "  peerASN: 64500\n  localASN: 64501\n"
    proc = start_run(node, ingot_bin, tmp_path / "files", config)
    try:
        router.wait_for(lambda: seedlab.bird_route(router, PREFIX), timeout=30, what=f"{PREFIX} in BIRD")
        assert [r["as_path"] for r in seedlab.bird_route(router, PREFIX)] == [[64501]]
    finally:
        node.stop(proc)


V6_POOL = """---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: seed6
  namespace: metallb-system
spec:
  addresses:
  - 2001:db8:5e::1/128
---
apiVersion: v1
kind: Service
metadata:
  name: web6
  namespace: default
spec:
  type: LoadBalancer
  ipFamilies: [IPv6]
  ipFamilyPolicy: SingleStack
  ports:
  - name: http
    port: 80
    protocol: TCP
  selector:
    app: web6
"""
PREFIX6 = "2001:db8:5e::1/128"


@pytest.mark.parametrize("dual_stack", [False, True])
def test_dual_stack_address_family(topology, bird, ingot_bin, tmp_path, dual_stack):
    """dualStackAddressFamily: the IPv6 Service's route goes over the IPv4 session, next hop the node's IPv6
    address on the same link; without it only the IPv4 route does (MetalLB's per-family sessions)."""
    lab = seedlab.build_bgp_seed_lab(topology, Node, nodes=1)
    router = seedlab.start_bird(bird, lab.router, start=False)
    router.conf.write_text(router.conf.read_text().replace(
        "ipv4 { import all; export none; };", "ipv4 { import all; export none; };\n  ipv6 { import all; export none; };", 1))
    router.start()
    node = lab.nodes[0]
    config = BASE + "  peerASN: 64500\n" + ("  dualStackAddressFamily: true\n" if dual_stack else "") + V6_POOL
    proc = start_run(node, ingot_bin, tmp_path / "files", config)
    try:
        router.wait_for(lambda: seedlab.bird_route(router, PREFIX), timeout=30, what=f"{PREFIX} in BIRD")
        if dual_stack:
            router.wait_for(lambda: PREFIX6 in router.kernel_routes(6), timeout=30,
                            what=f"{PREFIX6} in BIRD's kernel over the IPv4 session")
            gws = {r.get("gateway") for r in router.kernel_routes(6)[PREFIX6]}
            assert gws == {node.v6}, router.kernel_routes(6)[PREFIX6]
        else:
            time.sleep(3.0)   # the IPv4 route and End-of-RIB are out; nothing else follows
            assert PREFIX6 not in router.routes(), router.routes()
    finally:
        node.stop(proc)


def test_hold_time_zero(topology, bird, ingot_bin, tmp_path):
    """holdTime: 0s is proposed as 0 (not replaced by the default 90 s), so the session runs without a hold
    timer or keepalives (RFC 4271 §4.2, §4.4): BIRD shows both timers at 0."""
    lab = seedlab.build_bgp_seed_lab(topology, Node, nodes=1)
    router = seedlab.start_bird(bird, lab.router)
    node = lab.nodes[0]
    config = BASE + "  peerASN: 64500\n  holdTime: 0s\n"
    proc = start_run(node, ingot_bin, tmp_path / "files", config)
    try:
        router.wait_for(lambda: seedlab.bird_route(router, PREFIX), timeout=30, what=f"{PREFIX} in BIRD")
        out = bird_protocol_all(router)
        print("\n" + "\n".join(ln for ln in out.splitlines() if "timer" in ln.lower() or "Hold" in ln))
        # "Hold timer: 0.000/0", "Keepalive timer: 0.000/0": negotiated 0, nothing runs.
        m = HOLD_TIMER.search(out)
        assert m and m.group(2) == "0", out
        assert re.search(r"Keepalive timer:\s+[\d.]+/0\b", out), out
    finally:
        node.stop(proc)
