"""ingot's BFD (src/bfd, RFC 5880/5881) and BGP's use of it (src/bgp/bfd_link.c) against real routers.

BIRD 2 (`protocol bfd`) and FRR (bfdd) run in the lab's router namespace with BFD at
100 ms x 3 for the BGP neighbour; one `bfd-probe` driver (tests/system/drivers/bfd) runs
ingot's BGP speaker with BFD in the node namespace and announces one service route.  The tests
check, through each router's own CLI and kernel:

* the BFD session comes Up on both sides with the negotiated 100 ms x 3, BGP establishes and
  the route reaches the router's kernel;
* a dead node (SIGKILL or SIGSTOP of the driver, or the node's link set down) makes the router
  drop the route in under 1 s (the BGP hold time is 90 s: only BFD can do that);
* the router dying (every daemon SIGSTOPped, or its link set down) makes ingot tear its BGP
  session down in under 1 s, with Cease/BFD Down (RFC 9384), the session waits in Idle for
  the idle-hold backoff while BFD is down, and comes back once the router and BFD are back.

A SIGKILLed process's kernel closes its TCP connection at once, so for SIGKILL the BGP session
may drop through TCP before BFD notices; SIGSTOP and link-down are the cases only BFD detects.

Measured times are printed (run with -s to see them).  The driver: $INGOT_BFD_DRIVER, else
<build>/tests/system/drivers/bfd/bfd-probe where <build> is $INGOT_BUILD, or the directory of
$INGOT_BIN, or build/.  Run as root:
    INGOT_BUILD=build-x /usr/bin/python3 -m pytest -s tests/system/test_bfd.py
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from fixtures.netns import IP, wait_for
from fixtures.routers import Peer

REPO = Path(__file__).resolve().parent.parent.parent
ROUTES = {4: "203.0.113.10/32", 6: "2001:db8:5e::10/128"}
ROUTE = ROUTES[4]
INTERVAL_MS = 100
MULT = 3
LIMIT_S = 1.0


def driver_path() -> Path:
    if os.environ.get("INGOT_BFD_DRIVER"):
        return Path(os.environ["INGOT_BFD_DRIVER"])
    if os.environ.get("INGOT_BUILD"):
        build = Path(os.environ["INGOT_BUILD"])
    elif os.environ.get("INGOT_BIN"):
        build = Path(os.environ["INGOT_BIN"]).parent
    else:
        build = REPO / "build"
    if not build.is_absolute():
        build = REPO / build
    return build / "tests/system/drivers/bfd/bfd-probe"


@pytest.fixture(scope="session")
def bfd_driver() -> Path:
    path = driver_path()
    if not path.is_file():
        pytest.fail(f"bfd-probe not found at {path}: build it (or set INGOT_BUILD / INGOT_BFD_DRIVER)")
    return path


class Probe:
    """One bfd-probe in a node namespace; its JSON event lines are collected by a thread."""

    def __init__(self, node, driver: Path, router_ip: str, router_asn: int, node_asn: int,
                 family: int = 4):
        self.node = node
        local, route = (node.v4, ROUTES[4]) if family == 4 else (node.v6, ROUTES[6])
        self.events: list[dict] = []
        self.lock = threading.Lock()
        argv = [driver, "--peer", router_ip, "--local", local, "--rx", INTERVAL_MS,
                "--tx", INTERVAL_MS, "--mult", MULT, "--bgp", f"{router_asn},{node_asn},{node.v4}",
                "--route", route]
        self.log = node.workdir / "bfd-probe.log"
        node.workdir.mkdir(parents=True, exist_ok=True)
        self.proc = node.popen(argv, stdout=subprocess.PIPE, stderr=open(self.log, "ab"))
        first = self.proc.stdout.readline().decode().strip()
        if first != "ready":
            raise RuntimeError(f"bfd-probe did not start: {first!r}\n{self.log.read_text()}")
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            with self.lock:
                self.events.append(ev)

    def bgp_state(self) -> str | None:
        with self.lock:
            states = [e for e in self.events if "bgp" in e]
        return states[-1]["bgp"] if states else None

    def first_bgp_event_after(self, state: str, t0: float) -> dict | None:
        with self.lock:
            for e in self.events:
                if e.get("bgp") == state and e["t_ms"] / 1000.0 >= t0:
                    return e
        return None

    def signal(self, signo: int) -> None:
        os.kill(self.proc.pid, signo)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)
        self.node.stop(self.proc)

    def logs(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def start_bird(bird, lab, node_ip):
    """BIRD with BGP to the node and BFD at 100 ms x 3 (`protocol bfd` interface options)."""
    r = bird(lab.router, asn=lab.router_asn, router_id=lab.node_lan.v4_host(1),
             peers=[Peer(node_ip, lab.node_asns[0])], bfd=True, start=False)
    conf = r.conf.read_text().replace(
        "protocol bfd bfd1 { }",
        f'protocol bfd bfd1 {{ interface "*" {{ interval {INTERVAL_MS} ms; multiplier {MULT}; }}; }}')
    r.conf.write_text(conf)
    r.start()
    return r


def start_frr(frr, lab, node_ip):
    """FRR (zebra, bfdd, bgpd) with BGP to the node using a BFD profile of 100 ms x 3."""
    extra = (f"router bgp {lab.router_asn}\n neighbor {node_ip} bfd profile fast\nexit\n")
    r = frr(lab.router, asn=lab.router_asn, router_id=lab.node_lan.v4_host(1),
            peers=[Peer(node_ip, lab.node_asns[0])], bfd=True, extra=extra, start=False)
    (r.dir / "bfdd.conf").write_text(
        "hostname bfdd\n"
        f"log file {r.dir / 'bfdd.log'}\n"
        "bfd\n"
        " profile fast\n"
        f"  detect-multiplier {MULT}\n"
        f"  receive-interval {INTERVAL_MS}\n"
        f"  transmit-interval {INTERVAL_MS}\n"
        " exit\n"
        "exit\n")
    r.start()
    return r


def router_bfd_up(router, node_ip: str):
    """The router's own view of the BFD session: (state is Up, details) through its CLI."""
    if router.kind == "bird":
        out = router.birdc("show", "bfd", "sessions").stdout
        for line in out.splitlines():
            parts = line.split()
            if parts and parts[0] == node_ip:
                return parts[2] == "Up", line.strip()
        return False, out
    out = router.vtysh("show bfd peers json")
    for peer in json.loads(out or "[]"):
        if peer.get("peer") == node_ip:
            return peer.get("status") == "up", peer
    return False, out


def check_negotiated(router, details) -> None:
    """The router runs the session at 100 ms x 3 with us."""
    if router.kind == "bird":
        # "192.0.2.11  eth0  Up  <since>  0.100  0.300": interval and timeout in seconds
        cols = details.split()
        assert float(cols[-2]) == pytest.approx(INTERVAL_MS / 1000), details
        assert float(cols[-1]) == pytest.approx(MULT * INTERVAL_MS / 1000), details
    else:
        assert details.get("remote-detect-multiplier") == MULT, details
        assert details.get("remote-receive-interval") == INTERVAL_MS, details
        assert details.get("remote-transmit-interval") == INTERVAL_MS, details
        assert details.get("detect-multiplier") == MULT, details


def bring_up(router, probe, lab, node, family: int = 4) -> None:
    node_ip, route = (node.v4, ROUTES[4]) if family == 4 else (node.v6, ROUTES[6])

    def up():
        ok, details = router_bfd_up(router, node_ip)
        return details if ok else None
    details = router.wait_for(up, timeout=20, interval=0.1, what="BFD session Up")
    print(f"\n[{router.kind}] BFD Up: {details}")
    check_negotiated(router, details)
    try:
        router.wait_for(lambda: route in router.kernel_routes(family), timeout=20, interval=0.1,
                        what=f"{route} in the router's kernel")
    except (TimeoutError, RuntimeError) as exc:
        raise AssertionError(f"{exc}\nprobe events: {probe.events}\n{probe.logs()}") from None
    assert probe.bgp_state() == "Established", probe.events


def time_route_gone(router, family: int = 4, deadline_s: float = 5.0) -> float:
    """Seconds from now until the route leaves the router's kernel (polling every ~10 ms)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < deadline_s:
        if ROUTES[family] not in router.kernel_routes(family):
            return time.monotonic() - t0
        time.sleep(0.005)
    raise AssertionError(f"{ROUTES[family]} still in the router's kernel after {deadline_s} s")


ROUTERS = ["bird", "frr"]


@pytest.fixture
def router_factory(request, bird, frr):
    return {"bird": lambda lab, node_ip: start_bird(bird, lab, node_ip),
            "frr": lambda lab, node_ip: start_frr(frr, lab, node_ip)}[request.param]


@pytest.mark.parametrize("bgp_lab", [1], indirect=True)
@pytest.mark.parametrize("router_factory", ROUTERS, indirect=True)
@pytest.mark.parametrize("death", ["sigkill", "sigstop", "link-down"])
@pytest.mark.parametrize("family", [4, 6])
def test_dead_node_route_gone_fast(bgp_lab, router_factory, bfd_driver, death, family):
    lab, node = bgp_lab, bgp_lab.nodes[0]
    node_ip = node.v4 if family == 4 else node.v6
    router_ip = lab.node_lan.v4_host(1) if family == 4 else lab.node_lan.v6_host(1)
    router = router_factory(lab, node_ip)
    probe = Probe(node, bfd_driver, router_ip, lab.router_asn, lab.node_asns[0], family)
    try:
        bring_up(router, probe, lab, node, family)
        time.sleep(1.0)   # a steady state: slow start is long over
        if death == "sigkill":
            probe.signal(signal.SIGKILL)
        elif death == "sigstop":
            probe.signal(signal.SIGSTOP)
        else:
            node.run([IP, "link", "set", "eth0", "down"])
        t0 = time.monotonic()
        took = time_route_gone(router, family)
        wait_for(lambda: not router_bfd_up(router, node_ip)[0], timeout=2, interval=0.01,
                 what="the router's BFD session leaving Up")
        bfd_took = time.monotonic() - t0
        print(f"[{router.kind} IPv{family}] node dead by {death}: route gone from the router's kernel after "
              f"{took * 1000:.0f} ms, router's BFD Down seen after {bfd_took * 1000:.0f} ms "
              f"(BFD {INTERVAL_MS} ms x {MULT}, BGP hold 90 s)")
        assert took < LIMIT_S
        assert bfd_took < LIMIT_S
    finally:
        probe.stop()


@pytest.mark.parametrize("bgp_lab", [1], indirect=True)
@pytest.mark.parametrize("router_factory", ROUTERS, indirect=True)
@pytest.mark.parametrize("death", ["sigstop", "link-down"])
def test_router_death_drops_bgp_fast(bgp_lab, router_factory, bfd_driver, death):
    """A frozen router (every daemon SIGSTOPped) or one whose link went down: its TCP end says
    nothing, so only BFD can tell ingot.  (A SIGKILLed router's kernel resets the TCP
    connection, which drops the session in a few ms without BFD.)"""
    lab, node = bgp_lab, bgp_lab.nodes[0]
    router = router_factory(lab, node.v4)
    probe = Probe(node, bfd_driver, lab.node_lan.v4_host(1), lab.router_asn, lab.node_asns[0])
    try:
        bring_up(router, probe, lab, node)
        time.sleep(1.0)
        t0 = time.monotonic()
        if death == "sigstop":
            for p in router.procs:
                os.kill(p.pid, signal.SIGSTOP)
        else:
            lab.router.run([IP, "link", "set", "eth0", "down"])
        ev = wait_for(lambda: probe.first_bgp_event_after("Idle", t0), timeout=5, interval=0.01,
                      what="ingot's BGP session leaving Established")
        took = ev["t_ms"] / 1000.0 - t0
        print(f"\n[{router.kind}] router dead by {death}: ingot's BGP session down after "
              f"{took * 1000:.0f} ms (Cease subcode {ev['sent_subcode']}; BGP hold 90 s)")
        assert took < LIMIT_S
        assert ev["sent_code"] == 6 and ev["sent_subcode"] == 10, ev   # Cease/BFD Down (RFC 9384)
        # While BFD is down the session waits in Idle: no new connection attempt before the idle-hold
        # backoff (1.5-2 s; non-strict BFD retries then, as the router may only bring BFD back with BGP).
        t_down = ev["t_ms"] / 1000.0
        time.sleep(max(0.0, t_down + 1.2 - time.monotonic()))
        with probe.lock:
            early = [e["bgp"] for e in probe.events if "bgp" in e and t_down < e["t_ms"] / 1000.0 < t_down + 1.2]
        assert all(st == "Idle" for st in early), early
        time.sleep(2.0)
        # The router comes back: BFD Up first, then BGP re-establishes and the route returns.
        t1 = time.monotonic()
        if death == "sigstop":
            for p in router.procs:
                os.kill(p.pid, signal.SIGCONT)
        else:
            lab.router.run([IP, "link", "set", "eth0", "up"])
        router.wait_for(lambda: router_bfd_up(router, node.v4)[0], timeout=30, interval=0.1,
                        what="BFD Up again")
        ev = router.wait_for(lambda: probe.first_bgp_event_after("Established", t1), timeout=60,
                             interval=0.1, what="ingot's BGP session Established again")
        router.wait_for(lambda: ROUTE in router.kernel_routes(), timeout=20, interval=0.1,
                        what=f"{ROUTE} back in the router's kernel")
        back = ev["t_ms"] / 1000.0 - t1
        print(f"[{router.kind}] router back: BFD Up, then BGP re-established after "
              f"{back:.1f} s, route in the router's kernel")
        # BFD Up restarts a session waiting for its backoff or ConnectRetry timer (120 s) at once.
        assert back < 30.0, probe.events
    finally:
        for p in router.procs:
            if p.poll() is None:
                os.kill(p.pid, signal.SIGCONT)
        probe.stop()


# -- BFD alone (bfd-probe without --bgp): static BFD neighbours on the routers ------------------

class BfdOnlyProbe(Probe):
    """bfd-probe running one BFD session and nothing else."""

    def __init__(self, node, driver: Path, router_ip: str):
        self.node = node
        self.events = []
        self.lock = threading.Lock()
        self.log = node.workdir / "bfd-probe.log"
        node.workdir.mkdir(parents=True, exist_ok=True)
        argv = [driver, "--peer", router_ip, "--local", node.v4, "--interface", "eth0",
                "--rx", INTERVAL_MS, "--tx", INTERVAL_MS, "--mult", MULT]
        self.proc = node.popen(argv, stdout=subprocess.PIPE, stderr=open(self.log, "ab"))
        first = self.proc.stdout.readline().decode().strip()
        if first != "ready":
            raise RuntimeError(f"bfd-probe did not start: {first!r}\n{self.log.read_text()}")
        threading.Thread(target=self._read, daemon=True).start()

    def bfd_state(self) -> str | None:
        with self.lock:
            states = [e for e in self.events if "bfd" in e]
        return states[-1]["bfd"] if states else None


def bird_static_bfd(interval_ms: int, node_ip: str) -> str:
    return (f'protocol bfd bfd1 {{ interface "*" {{ interval {interval_ms} ms; multiplier {MULT}; }}; '
            f'neighbor {node_ip} dev "eth0"; }}')


@pytest.mark.parametrize("bgp_lab", [1], indirect=True)
def test_bfd_alone_bird_poll_sequence(bgp_lab, bird, bfd_driver):
    """A static BFD neighbour in BIRD comes Up with ingot's session; BIRD then slows down to
    200 ms, which it may only use once our Final answers its Poll (RFC 5880 §6.8.3): BIRD's
    negotiated interval moving to 0.200 proves the Poll/Final exchange works."""
    lab, node = bgp_lab, bgp_lab.nodes[0]
    router = bird(lab.router, asn=lab.router_asn, router_id=lab.node_lan.v4_host(1), peers=[],
                  extra=bird_static_bfd(INTERVAL_MS, node.v4))
    probe = BfdOnlyProbe(node, bfd_driver, lab.node_lan.v4_host(1))
    try:
        details = router.wait_for(lambda: (lambda ok, d: d if ok else None)(*router_bfd_up(router, node.v4)),
                                  timeout=20, interval=0.1, what="BFD session Up")
        print(f"\n[bird] static BFD neighbour Up: {details}")
        check_negotiated(router, details)
        wait_for(lambda: probe.bfd_state() == "Up", timeout=5, what="ingot's BFD Up")
        conf = router.conf.read_text().replace(f"interval {INTERVAL_MS} ms", "interval 200 ms")
        router.configure(conf)

        def slowed():
            ok, d = router_bfd_up(router, node.v4)
            return d if ok and float(d.split()[-2]) == pytest.approx(0.2) else None
        details = router.wait_for(slowed, timeout=10, interval=0.1, what="BIRD at 200 ms after Poll/Final")
        print(f"[bird] after BIRD's Poll Sequence: {details}")
        time.sleep(1.0)
        assert probe.bfd_state() == "Up", probe.events
        with probe.lock:
            assert [e["bfd"] for e in probe.events].count("Up") == 1, probe.events
    finally:
        probe.stop()


@pytest.mark.parametrize("bgp_lab", [1], indirect=True)
def test_bfd_alone_frr(bgp_lab, frr, bfd_driver):
    """A static BFD peer in FRR's bfdd comes Up with ingot's session at 100 ms x 3; stopping
    bfdd (SIGSTOP) takes ingot's session Down by detection in under 1 s."""
    lab, node = bgp_lab, bgp_lab.nodes[0]
    router = frr(lab.router, asn=lab.router_asn, router_id=lab.node_lan.v4_host(1), peers=[],
                 bfd=True, start=False)
    (router.dir / "bfdd.conf").write_text(
        "hostname bfdd\n"
        "bfd\n"
        f" peer {node.v4} interface eth0\n"
        f"  detect-multiplier {MULT}\n"
        f"  receive-interval {INTERVAL_MS}\n"
        f"  transmit-interval {INTERVAL_MS}\n"
        " exit\n"
        "exit\n")
    router.start()
    probe = BfdOnlyProbe(node, bfd_driver, lab.node_lan.v4_host(1))
    try:
        details = router.wait_for(lambda: (lambda ok, d: d if ok else None)(*router_bfd_up(router, node.v4)),
                                  timeout=20, interval=0.1, what="BFD session Up")
        print(f"\n[frr] static BFD peer Up: {details}")
        check_negotiated(router, details)
        wait_for(lambda: probe.bfd_state() == "Up", timeout=5, what="ingot's BFD Up")
        time.sleep(1.0)
        t0 = time.monotonic()
        bfdd = next(p for p in router.procs if Path(str(p.args[4])).name == "bfdd")
        os.kill(bfdd.pid, signal.SIGSTOP)
        try:
            wait_for(lambda: probe.bfd_state() == "Down", timeout=3, interval=0.01, what="ingot's BFD Down")
            with probe.lock:
                ev = [e for e in probe.events if e.get("bfd") == "Down"][-1]
            took = ev["t_ms"] / 1000.0 - t0
            print(f"[frr] bfdd stopped: ingot's BFD Down ({ev['diag']}) after {took * 1000:.0f} ms")
            assert ev["diag"] == "detection-time-expired"
            assert took < LIMIT_S
        finally:
            os.kill(bfdd.pid, signal.SIGCONT)
        # bfdd back: the session comes Up again.
        wait_for(lambda: probe.bfd_state() == "Up", timeout=10, what="ingot's BFD Up again")
    finally:
        probe.stop()
