"""ingot's BGP speaker (src/bgp, run by the bgp-announce driver) against real routers.

BIRD 2, FRR (bgpd + zebra), GoBGP (fixtures/routers.py) and ExaBGP (a small fixture below) run in
the lab's router namespace;
one bgp-announce per node namespace connects to them.  Each test checks what the router learned
through its own CLI, what it installed in its kernel, and where real traffic from the client
lands.

The driver: $INGOT_BGP_DRIVER, else <build>/tests/system/drivers/bgp/bgp-announce where <build>
is $INGOT_BUILD, or the directory of $INGOT_BIN, or build/.  Run as root:
    INGOT_BUILD=build-x /usr/bin/python3 -m pytest tests/system/test_bgp_routers.py

Timers are short (hold 3 s) so that hold-timer expiry is testable; every wait is bounded.
"""

from __future__ import annotations

import ipaddress
import json
import os
import select
import signal
import subprocess
import time
from pathlib import Path

import pytest

from fixtures.netns import PYTHON, wait_for
from fixtures.routers import Peer

REPO = Path(__file__).resolve().parent.parent.parent
ESTABLISH = 20
ROUTE = 10
FLOWS = 64


def driver_path() -> Path:
    if os.environ.get("INGOT_BGP_DRIVER"):
        return Path(os.environ["INGOT_BGP_DRIVER"])
    if os.environ.get("INGOT_BUILD"):
        build = Path(os.environ["INGOT_BUILD"])
    elif os.environ.get("INGOT_BIN"):
        build = Path(os.environ["INGOT_BIN"]).parent
    else:
        build = REPO / "build"
    if not build.is_absolute():
        build = REPO / build
    return build / "tests/system/drivers/bgp/bgp-announce"


@pytest.fixture(scope="session")
def bgp_driver() -> Path:
    path = driver_path()
    if not path.is_file():
        pytest.fail(f"bgp-announce not found at {path}: build it (or set INGOT_BUILD / INGOT_BGP_DRIVER)")
    return path


class Speaker:
    """One bgp-announce in a node namespace, commanded over its stdin."""

    def __init__(self, ns, driver: Path, log: Path, args: list[str] = ()):
        self.ns, self.log = ns, log
        self.proc = ns.popen([driver, "--log-level", "debug", *args], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=open(log, "ab"))
        assert self.readline(10) == "ready", self.logtext()

    def readline(self, timeout: float = 10.0) -> str:
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            raise TimeoutError(f"bgp-announce did not answer\n{self.logtext()}")
        return self.proc.stdout.readline().decode().strip()

    def cmd(self, line: str, timeout: float = 10.0) -> str:
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()
        reply = self.readline(timeout)
        assert not reply.startswith("error"), f"{line!r}: {reply}"
        return reply

    def status(self) -> list[dict]:
        return json.loads(self.cmd("status"))["peers"]

    def state(self, i: int = 0) -> str:
        return self.status()[i]["state"]

    def signal(self, sig) -> None:
        os.kill(self.proc.pid, sig)

    def stop(self) -> None:
        self.ns.stop(self.proc)

    def logtext(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""


@pytest.fixture
def speaker(bgp_driver, tmp_path):
    """Factory: speaker(node, peers=[peer-line options...], routes=[...]) -> started Speaker."""
    started = []

    def make(node, peers, routes=(), args=(), start=True) -> Speaker:
        n = len(started) + 1
        sp = Speaker(node, bgp_driver, tmp_path / f"bgp-announce-{node.label}-{n}.log", list(args))
        started.append(sp)
        for p in peers:
            sp.cmd(f"peer {p}")
        for r in routes:
            sp.cmd(r)
        if start:
            sp.cmd("start")
        return sp

    yield make
    for sp in started:
        sp.stop()


def peer_line(router_addr: str, router_asn: int, node, asn: int, extra: str = "") -> str:
    return f"{router_addr} as={router_asn} local-as={asn} router-id={node.v4} hold=3 connect-retry=1 {extra}"


def router_v4(lab) -> str:
    return lab.node_lan.v4_host(1)


def router_v6(lab) -> str:
    return lab.node_lan.v6_host(1)


def kernel_gateways(router, prefix: str, family: int = 4) -> set[str]:
    return {h["gateway"] for h in router.kernel_routes(family).get(prefix, [])}


def assert_traffic_reaches(lab, vip: str, nodes) -> None:
    counts = lab.client.probe(vip, flows=FLOWS, proto="udp", timeout=5)
    assert counts["<none>"] == 0, f"unanswered flows: {counts}"
    assert set(counts) == {n.label for n in nodes}, f"flows did not reach every node: {counts}"


# -- attributes -------------------------------------------------------------------

ATTRS = "local-pref=250 community=65000:1,65000:2 large-community=65000:7:9 link-bandwidth=64513:1000000"


def test_bird_ebgp_and_ibgp_attributes_v4_v6(bgp_lab, bird, speaker):
    """node1 is external (AS 64513), node2 internal (the router's AS): AS_PATH, LOCAL_PREF,
    NEXT_HOP and communities as RFC 4271 §5.1 says, for IPv4 and IPv6 (MP_REACH)."""
    lab = bgp_lab
    n1, n2 = lab.nodes
    r = lab.router_asn
    router = bird(lab.router, asn=r, router_id=router_v4(lab), hold_time=3,
                  peers=[Peer(n1.v4, 64513), Peer(n2.v4, r), Peer(n1.v6, 64513), Peer(n2.v6, r)])
    v4, v6 = "203.0.113.5/32", "2001:db8:ffff::5/128"
    for node, asn in ((n1, 64513), (n2, r)):
        speaker(node, [peer_line(router_v4(lab), r, node, asn), peer_line(router_v6(lab), r, node, asn)],
                [f"route {v4} {ATTRS}", f"route {v6} {ATTRS}"])
    router.wait_for(lambda: len(router.established()) == 4, timeout=ESTABLISH, what="4 sessions Established")
    routes = router.wait_for(lambda: (rt := router.routes()) and len(rt.get(v4, [])) == 2
                             and len(rt.get(v6, [])) == 2 and rt, timeout=ROUTE, what="both paths, both families")
    for prefix, addr in ((v4, lambda n: n.v4), (v6, lambda n: n.v6)):
        by_hop = {p["via"]: p for p in routes[prefix]}
        assert set(by_hop) == {addr(n1), addr(n2)}, routes[prefix]
        ext, internal = by_hop[addr(n1)], by_hop[addr(n2)]
        assert ext["as_path"] == [64513] and internal["as_path"] == [], (ext, internal)
        # LOCAL_PREF is sent to internal peers only: BIRD gives eBGP routes its default 100.
        assert internal["local_pref"] == 250 and ext["local_pref"] == 100, (ext, internal)
        for p in (ext, internal):
            assert p["origin"] == "IGP", p
            assert p["communities"] == [(65000, 1), (65000, 2)], p
            assert p["large_communities"] == [(65000, 7, 9)], p
            assert "ext_community" in p["attrs"], p
            assert p["next_hop"] == addr(n1 if p is ext else n2), p
            if prefix == v6:   # RFC 2545 §3: on-link peer, so the link-local next hop follows
                assert "fe80:" in p["attrs"]["next_hop"], p["attrs"]


def test_gobgp_ebgp_and_ibgp_attributes(bgp_lab, gobgp, speaker):
    lab = bgp_lab
    n1, n2 = lab.nodes
    r = lab.router_asn
    router = gobgp(lab.router, asn=r, router_id=router_v4(lab), listen=True, hold_time=3,
                   peers=[Peer(n1.v4, 64513), Peer(n2.v4, r)])
    prefix = "203.0.113.6/32"
    for node, asn in ((n1, 64513), (n2, r)):
        speaker(node, [peer_line(router_v4(lab), r, node, asn)], [f"route {prefix} {ATTRS}"])
    router.wait_for(lambda: len(router.established()) == 2, timeout=ESTABLISH, what="2 sessions established")
    paths = router.wait_for(lambda: len(router.routes().get(prefix, [])) == 2 and router.routes()[prefix],
                            timeout=ROUTE, what="two paths")
    by_hop = {p["nexthop"]: p for p in paths}
    assert set(by_hop) == {n1.v4, n2.v4}, paths
    assert by_hop[n1.v4]["as_path"] == [64513] and by_hop[n1.v4]["local_pref"] is None
    assert by_hop[n2.v4]["as_path"] == [] and by_hop[n2.v4]["local_pref"] == 250
    for p in paths:
        assert p["communities"] == ["65000:1", "65000:2"], p
        large = [a for a in p["raw"]["attrs"] if a.get("type") == 32]
        assert large and large[0]["value"][0] == {"ASN": 65000, "LocalData1": 7, "LocalData2": 9}, p


# -- ECMP, traffic, withdrawal ----------------------------------------------------

@pytest.mark.parametrize("bgp_lab", [3], indirect=True)
def test_bird_three_node_ecmp_traffic_and_withdraw(bgp_lab, bird, speaker):
    lab = bgp_lab
    router = bird(lab.router, asn=lab.router_asn, router_id=router_v4(lab), hold_time=3,
                  peers=[str(lab.node_lan.v4)])
    vip = str(lab.service_v4[30])
    prefix = f"{vip}/32"
    sps = []
    for node, asn in zip(lab.nodes, lab.node_asns):
        node.serve_vip(vip)
        sps.append(speaker(node, [peer_line(router_v4(lab), lab.router_asn, node, asn)], [f"route {prefix}"]))
    nodes = {n.v4 for n in lab.nodes}
    router.wait_for(lambda: kernel_gateways(router, prefix) == nodes, timeout=ESTABLISH,
                    what="3-way multipath route in the kernel")
    assert_traffic_reaches(lab, vip, lab.nodes)
    # Removal withdraws: node1 goes, the others keep the traffic.
    sps[0].cmd(f"withdraw {prefix}")
    router.wait_for(lambda: kernel_gateways(router, prefix) == nodes - {lab.nodes[0].v4}, timeout=ROUTE,
                    what="node1 withdrawn")
    assert_traffic_reaches(lab, vip, lab.nodes[1:])
    for sp in sps[1:]:
        sp.cmd("withdraw-all")
    router.wait_for(lambda: prefix not in router.routes(), timeout=ROUTE, what="route gone")
    assert all(s["state"] == "Established" for sp in sps for s in sp.status())


def test_bird_ipv6_ecmp_traffic_and_withdraw(bgp_lab, bird, speaker):
    """IPv6 over an IPv6 session (MP_REACH_NLRI, RFC 4760): two nodes, one multipath route."""
    lab = bgp_lab
    router = bird(lab.router, asn=lab.router_asn, router_id=router_v4(lab), hold_time=3,
                  peers=[str(lab.node_lan.v6)])
    vip = str(lab.service_v6[0x30])
    prefix = f"{vip}/128"
    sps = []
    for node, asn in zip(lab.nodes, lab.node_asns):
        node.serve_vip(vip)
        sps.append(speaker(node, [peer_line(router_v6(lab), lab.router_asn, node, asn)], [f"route {prefix}"]))
    nodes = {n.v6 for n in lab.nodes}
    router.wait_for(lambda: kernel_gateways(router, prefix, 6) == nodes, timeout=ESTABLISH,
                    what="IPv6 multipath route in the kernel")
    assert_traffic_reaches(lab, vip, lab.nodes)
    sps[0].cmd("withdraw-all")
    router.wait_for(lambda: kernel_gateways(router, prefix, 6) == {lab.nodes[1].v6}, timeout=ROUTE,
                    what="node1 withdrawn")


def test_frr_ecmp_attributes_traffic_and_route_refresh(bgp_lab, frr, speaker):
    lab = bgp_lab
    router = frr(lab.router, asn=lab.router_asn, router_id=router_v4(lab), hold_time=3,
                 peers=[str(lab.node_lan.v4)])
    vip = str(lab.service_v4[40])
    prefix = f"{vip}/32"
    sps = []
    for node, asn in zip(lab.nodes, lab.node_asns):
        node.serve_vip(vip)
        sps.append(speaker(node, [peer_line(router_v4(lab), lab.router_asn, node, asn)],
                           [f"route {prefix} {ATTRS}"]))
    nodes = {n.v4 for n in lab.nodes}
    router.wait_for(lambda: kernel_gateways(router, prefix) == nodes, timeout=ESTABLISH,
                    what="zebra's multipath route")
    paths = router.routes()[prefix]
    assert sorted(p["as_path"] for p in paths) == [[a] for a in lab.node_asns]
    assert {p["nexthop"] for p in paths} == nodes
    for detail in router.route_detail(prefix)["paths"]:
        assert detail["community"]["string"] == "65000:1 65000:2", detail
        assert detail["largeCommunity"]["string"] == "65000:7:9", detail
        assert "localpref" not in detail or detail["localpref"] == 100, detail
    assert_traffic_reaches(lab, vip, lab.nodes)
    # Route refresh (RFC 2918): FRR asks, the speaker sends its routes again.
    before = sps[0].status()[0]["updates_out"]
    router.vtysh(f"clear bgp ipv4 unicast {lab.nodes[0].v4} soft in")
    wait_for(lambda: sps[0].status()[0]["updates_out"] > before, timeout=ROUTE, what="UPDATE after refresh")
    assert len(router.routes()[prefix]) == 2
    sps[0].cmd("withdraw-all")
    router.wait_for(lambda: kernel_gateways(router, prefix) == {lab.nodes[1].v4}, timeout=ROUTE,
                    what="node1 withdrawn")


# -- hold timers --------------------------------------------------------------------

def test_hold_timer_both_ways_bird(bgp_lab, bird, speaker):
    """A frozen speaker is dropped by BIRD at its hold timer, and a frozen BIRD by the speaker."""
    lab = bgp_lab
    n1 = lab.nodes[0]
    router = bird(lab.router, asn=lab.router_asn, router_id=router_v4(lab), hold_time=3, keepalive_time=1,
                  peers=[n1.v4])
    sp = speaker(n1, [peer_line(router_v4(lab), lab.router_asn, n1, 64513, "keepalive=1")],
                 ["route 203.0.113.9/32"])
    router.wait_for(lambda: router.established(), timeout=ESTABLISH, what="Established")
    sp.signal(signal.SIGSTOP)
    try:
        t0 = time.monotonic()
        router.wait_for(lambda: not router.established(), timeout=8, interval=0.1, what="speaker dropped")
        assert time.monotonic() - t0 <= 4.5
        assert "203.0.113.9/32" not in router.routes()
    finally:
        sp.signal(signal.SIGCONT)
    router.wait_for(lambda: router.established(), timeout=ESTABLISH, what="re-Established")
    # Now the router freezes: the speaker's hold timer fires (NOTIFICATION 4/0).
    bird_pid = router.procs[0].pid
    os.kill(bird_pid, signal.SIGSTOP)
    try:
        t0 = time.monotonic()
        wait_for(lambda: sp.state() != "Established", timeout=8, interval=0.1, what="router dropped")
        assert time.monotonic() - t0 <= 4.5
        assert sp.status()[0]["last_sent"] == [4, 0]
    finally:
        os.kill(bird_pid, signal.SIGCONT)


def test_hold_timer_both_ways_frr(bgp_lab, frr, speaker):
    lab = bgp_lab
    n1 = lab.nodes[0]
    router = frr(lab.router, asn=lab.router_asn, router_id=router_v4(lab), hold_time=3, keepalive_time=1,
                 graceful_restart="off", peers=[n1.v4])
    sp = speaker(n1, [peer_line(router_v4(lab), lab.router_asn, n1, 64513)], ["route 203.0.113.10/32"])
    router.wait_for(lambda: "203.0.113.10/32" in router.routes(), timeout=ESTABLISH, what="route")
    sp.signal(signal.SIGSTOP)
    try:
        t0 = time.monotonic()
        router.wait_for(lambda: not router.established(), timeout=8, interval=0.1, what="speaker dropped")
        assert time.monotonic() - t0 <= 4.5
        router.wait_for(lambda: "203.0.113.10/32" not in router.routes(), timeout=3, what="route gone")
    finally:
        sp.signal(signal.SIGCONT)
    router.wait_for(lambda: router.established(), timeout=ESTABLISH, what="re-Established")
    bgpd = router.procs[-1].pid   # zebra, then bgpd
    os.kill(bgpd, signal.SIGSTOP)
    try:
        t0 = time.monotonic()
        wait_for(lambda: sp.state() != "Established", timeout=8, interval=0.1, what="router dropped")
        assert time.monotonic() - t0 <= 4.5
        assert sp.status()[0]["last_sent"] == [4, 0]
    finally:
        os.kill(bgpd, signal.SIGCONT)


# -- graceful restart (RFC 4724) -----------------------------------------------------

def _graceful_restart(lab, router, speaker, routes_now):
    n1 = lab.nodes[0]
    prefix = "203.0.113.11/32"
    line = peer_line(router_v4(lab), lab.router_asn, n1, 64513, "gr gr-time=30")
    sp = speaker(n1, [line], [f"route {prefix}"])
    wait_for(lambda: sp.status()[0]["gr_negotiated"] and prefix in routes_now(), timeout=ESTABLISH,
             what="GR negotiated, route present")
    sp.signal(signal.SIGKILL)   # a crash: no NOTIFICATION
    sp.proc.wait(5)
    deadline = time.monotonic() + 4   # beyond the hold time: the helper keeps the route
    while time.monotonic() < deadline:
        assert prefix in routes_now(), "route lost while the speaker restarts"
        time.sleep(0.2)
    sp2 = speaker(n1, [line + " gr-restarting"], [f"route {prefix}"])
    wait_for(lambda: sp2.state() == "Established", timeout=ESTABLISH, what="re-Established")
    assert prefix in routes_now()
    return sp2, prefix


def _stop_is_not_a_restart(router, sp, prefix):
    """SIGTERM: Cease/Administrative Shutdown, sent as a Hard Reset when the N bit is
    negotiated (RFC 8538 §5), or a plain NOTIFICATION (RFC 4724 §4.2): either way the router
    drops the routes at once instead of keeping them stale for the restart time."""
    sp.cmd(f"route {prefix}")
    router.wait_for(lambda: prefix in router.routes(), timeout=ROUTE, what="route back")
    t0 = time.monotonic()
    sp.stop()
    router.wait_for(lambda: prefix not in router.routes(), timeout=5, interval=0.05, what="route gone on stop")
    assert time.monotonic() - t0 < 3


def test_graceful_restart_bird(bgp_lab, bird, speaker):
    lab = bgp_lab
    router = bird(lab.router, asn=lab.router_asn, router_id=router_v4(lab), hold_time=3,
                  graceful_restart="aware", peers=[lab.nodes[0].v4])
    sp, prefix = _graceful_restart(lab, router, speaker, lambda: router.routes())
    # End-of-RIB ended the restart: the route is fresh again, and a later withdraw works.
    router.wait_for(lambda: "stale" not in router.birdc("show route", prefix, "all").stdout.lower(),
                    timeout=ROUTE, what="route no longer stale")
    sp.cmd("withdraw-all")
    router.wait_for(lambda: prefix not in router.routes(), timeout=ROUTE, what="withdrawn")
    _stop_is_not_a_restart(router, sp, prefix)


def test_graceful_restart_frr(bgp_lab, frr, speaker):
    lab = bgp_lab
    router = frr(lab.router, asn=lab.router_asn, router_id=router_v4(lab), hold_time=3,
                 peers=[lab.nodes[0].v4])
    sp, prefix = _graceful_restart(lab, router, speaker, lambda: router.routes())
    router.wait_for(lambda: not router.routes()[prefix][0]["raw"].get("stale"), timeout=ROUTE,
                    what="route no longer stale")
    sp.cmd("withdraw-all")
    router.wait_for(lambda: prefix not in router.routes(), timeout=ROUTE, what="withdrawn")
    _stop_is_not_a_restart(router, sp, prefix)


# -- graceful shutdown (RFC 8326) ----------------------------------------------------

def test_graceful_shutdown_bird(bgp_lab, bird, speaker):
    lab = bgp_lab
    n1 = lab.nodes[0]
    router = bird(lab.router, asn=lab.router_asn, router_id=router_v4(lab), hold_time=3, peers=[n1.v4])
    prefix = "203.0.113.12/32"
    sp = speaker(n1, [peer_line(router_v4(lab), lab.router_asn, n1, 64513)],
                 [f"route {prefix} community=65000:1"])
    router.wait_for(lambda: prefix in router.routes(), timeout=ESTABLISH, what="route")
    sp.cmd("graceful-shutdown 3")
    t0 = time.monotonic()
    comms = router.wait_for(lambda: (rt := router.routes().get(prefix)) and
                            (65535, 0) in rt[0]["communities"] and rt[0]["communities"], timeout=ROUTE,
                            interval=0.05, what="GRACEFUL_SHUTDOWN community")
    assert comms == [(65000, 1), (65535, 0)]
    router.wait_for(lambda: prefix not in router.routes(), timeout=ROUTE, interval=0.05, what="withdrawn")
    assert time.monotonic() - t0 >= 2.5, "withdrawn before the configured wait"
    assert sp.state() == "Established"


def test_graceful_shutdown_frr(bgp_lab, frr, speaker):
    lab = bgp_lab
    n1 = lab.nodes[0]
    router = frr(lab.router, asn=lab.router_asn, router_id=router_v4(lab), hold_time=3, peers=[n1.v4])
    prefix = "203.0.113.15/32"
    sp = speaker(n1, [peer_line(router_v4(lab), lab.router_asn, n1, 64513)], [f"route {prefix}"])
    router.wait_for(lambda: prefix in router.routes(), timeout=ESTABLISH, what="route")
    sp.cmd("graceful-shutdown 2")

    def community():
        paths = router.route_detail(prefix).get("paths", [])
        return paths and paths[0].get("community", {}).get("string")
    # FRR names 65535:0 "graceful-shutdown" (RFC 8326 §5)
    assert router.wait_for(community, timeout=ROUTE, interval=0.05, what="community") == "graceful-shutdown"
    router.wait_for(lambda: prefix not in router.routes(), timeout=ROUTE, interval=0.1, what="withdrawn")
    assert sp.state() == "Established"


# -- TCP-MD5 (RFC 2385) ------------------------------------------------------------

def test_md5_right_and_wrong_password_bird(bgp_lab, bird, speaker):
    lab = bgp_lab
    n1, n2 = lab.nodes
    router = bird(lab.router, asn=lab.router_asn, router_id=router_v4(lab), hold_time=3,
                  peers=[n1.v4, n2.v4], start=False)
    router.conf.write_text(router.conf.read_text().replace("passive on;", 'passive on;\n  password "s3cret";'))
    router.start()
    good = speaker(n1, [peer_line(router_v4(lab), lab.router_asn, n1, 64513, "md5=s3cret")],
                   ["route 203.0.113.13/32"])
    bad = speaker(n2, [peer_line(router_v4(lab), lab.router_asn, n2, 64514, "md5=wrong")],
                  ["route 203.0.113.14/32"])
    router.wait_for(lambda: "203.0.113.13/32" in router.routes(), timeout=ESTABLISH, what="MD5 session route")
    time.sleep(3)   # several connect retries of the wrong-password speaker
    assert router.established() == ["peer1"]
    assert bad.state() != "Established" and good.state() == "Established"
    assert "203.0.113.14/32" not in router.routes()


# -- transport options: source address, multihop -----------------------------------------

def test_source_address_and_multihop_bird(bgp_lab, bird, speaker):
    """The session leaves from the configured source (a second address of node1) with the
    multihop TTL, and next hop self is that source address."""
    lab = bgp_lab
    n1 = lab.nodes[0]
    src = str(lab.node_lan.v4[77])
    n1.add_addr(f"{src}/32")
    router = bird(lab.router, asn=lab.router_asn, router_id=router_v4(lab), hold_time=3, multihop=True,
                  peers=[Peer(src, 64513)])
    prefix = "203.0.113.16/32"
    sp = speaker(n1, [peer_line(router_v4(lab), lab.router_asn, n1, 64513, f"source={src} multihop=2")],
                 [f"route {prefix}"])
    routes = router.wait_for(lambda: prefix in router.routes() and router.routes(), timeout=ESTABLISH,
                             what="route over the sourced session")
    assert routes[prefix][0]["next_hop"] == src, routes[prefix]
    assert sp.state() == "Established"


# -- route refresh on BIRD (RFC 2918) -------------------------------------------

def test_route_refresh_bird(bgp_lab, bird, speaker):
    lab = bgp_lab
    n1 = lab.nodes[0]
    router = bird(lab.router, asn=lab.router_asn, router_id=router_v4(lab), hold_time=3, peers=[n1.v4])
    sp = speaker(n1, [peer_line(router_v4(lab), lab.router_asn, n1, 64513)], ["range 203.0.113.64 16"])
    router.wait_for(lambda: len(router.routes()) == 16, timeout=ESTABLISH, what="16 routes")
    before = sp.status()[0]["updates_out"]
    router.birdc("reload", "in", "peer1")
    wait_for(lambda: sp.status()[0]["updates_out"] > before, timeout=ROUTE, what="UPDATE after refresh")
    assert len(router.routes()) == 16 and router.established() == ["peer1"]


# -- ExaBGP 4.2 (a small fixture: it has no RIB CLI, so its JSON API output is read) ------------

class ExaBgp:
    """exabgp in a namespace, passive, handing every received UPDATE to a helper that appends
    ExaBGP's JSON to a file (its `receive { parsed; update; }` API)."""

    def __init__(self, ns, workdir: Path, *, asn: int, router_id: str, local_address: str, peers):
        self.ns, self.dir = ns, workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.messages = self.dir / "messages.json"
        recv = self.dir / "recv.sh"
        recv.write_text(f"#!{PYTHON}\nimport sys\nwith open({str(self.messages)!r}, 'a') as f:\n"
                        "    for line in sys.stdin:\n        f.write(line)\n        f.flush()\n")
        recv.chmod(0o755)
        conf = [f"process recv {{\n  run {recv};\n  encoder json;\n}}"]
        for addr, peer_as in peers:
            conf.append(f"neighbor {addr} {{\n  router-id {router_id};\n  local-address {local_address};\n"
                        f"  local-as {asn};\n  peer-as {peer_as};\n  hold-time 3;\n  passive true;\n"
                        f"  family {{\n    ipv4 unicast;\n  }}\n"
                        f"  api {{\n    processes [ recv ];\n    neighbor-changes;\n"
                        f"    receive {{\n      parsed;\n      update;\n    }}\n  }}\n}}")
        self.conf = self.dir / "exabgp.conf"
        self.conf.write_text("\n".join(conf) + "\n")
        settings = {"daemon.user": "root", "api.cli": "false", "log.destination": "stdout",
                    "daemon.daemonize": "false", "tcp.bind": local_address}   # it listens only when told
        env = dict(os.environ, **{"exabgp_" + k.replace(".", "_"): v for k, v in settings.items()})
        self.proc = ns.popen(["exabgp", self.conf], log=self.dir / "exabgp.out", env=env)

    def events(self) -> list[dict]:
        if not self.messages.exists():
            return []
        out = []
        for line in self.messages.read_text().splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out

    def states(self) -> dict[str, str]:
        return {e["neighbor"]["address"]["peer"]: e["neighbor"]["state"]
                for e in self.events() if e.get("type") == "state"}

    def rib(self) -> dict[str, dict]:
        """prefix -> {"peer", "next_hop", "attribute"}: announcements minus withdrawals, in order."""
        rib = {}
        for e in self.events():
            if e.get("type") != "update":
                continue
            peer = e["neighbor"]["address"]["peer"]
            upd = e["neighbor"]["message"].get("update")   # End-of-RIB comes as "eor"
            if upd is None:
                continue
            for fam in upd.get("withdraw", {}).values():
                for item in fam:
                    rib.pop((peer, item["nlri"]), None)
            for fam in upd.get("announce", {}).values():
                for hop, items in fam.items():
                    for item in items:
                        rib[(peer, item["nlri"])] = {"next_hop": hop, "attribute": upd.get("attribute", {})}
        return rib

    def log(self) -> str:
        p = self.dir / "exabgp.out"
        return p.read_text(errors="replace")[-3000:] if p.exists() else ""


def test_exabgp_ebgp_and_ibgp_attributes_and_withdraw(bgp_lab, speaker, tmp_path):
    lab = bgp_lab
    n1, n2 = lab.nodes
    r = lab.router_asn
    exa = ExaBgp(lab.router, tmp_path / "exabgp", asn=r, router_id=router_v4(lab), local_address=router_v4(lab),
                 peers=[(n1.v4, 64513), (n2.v4, r)])
    try:
        prefix = "203.0.113.7/32"
        sps = [speaker(node, [peer_line(router_v4(lab), r, node, asn)], [f"route {prefix} {ATTRS}"])
               for node, asn in ((n1, 64513), (n2, r))]
        rib = wait_for(lambda: len(exa.rib()) == 2 and exa.rib(), timeout=ESTABLISH, what=f"two paths\n{exa.log()}")
        ext, internal = rib[(n1.v4, prefix)], rib[(n2.v4, prefix)]
        assert ext["next_hop"] == n1.v4 and internal["next_hop"] == n2.v4
        assert ext["attribute"]["as-path"] == [64513] and internal["attribute"].get("as-path", []) == []
        assert "local-preference" not in ext["attribute"] and internal["attribute"]["local-preference"] == 250
        for p in (ext, internal):
            assert p["attribute"]["origin"] == "igp"
            assert p["attribute"]["community"] == [[65000, 1], [65000, 2]], p
            assert p["attribute"]["large-community"] == [[65000, 7, 9]], p
            # link bandwidth: non-transitive two-octet-AS type 0x40, subtype 0x04, AS 64513
            ec = p["attribute"]["extended-community"][0]["value"]
            assert ec >> 32 == 0x4004FC01, hex(ec)
        assert sps[0].status()[0]["state"] == "Established"
        sps[0].cmd("withdraw-all")
        wait_for(lambda: list(exa.rib()) == [(n2.v4, prefix)], timeout=ROUTE, what="withdrawal at ExaBGP")
    finally:
        lab.router.stop(exa.proc)
