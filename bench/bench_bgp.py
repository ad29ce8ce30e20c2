"""BGP benchmark (issue 5): how fast a BIRD receiver holds N /32 routes sent by ingot, GoBGP, BIRD.

    sudo /usr/bin/python3 bench/bench_bgp.py [--build DIR] [--counts 10000,100000] [--runs 3]
                                             [--senders ingot,gobgp,bird] [--json FILE]

Builds the BGP lab of the system tests (tests/system/fixtures/netns.py) with one node: the
sender runs in node1 (AS 64513), a receiver BIRD 2 in the router namespace (AS 64512, passive,
`import all`, no kernel export: the figure is BGP, not netlink). For each N and run, in the same
run of this program and on the same topology, each sender starts cold with its N routes already
configured (10.200.0.0 upward, /32, next hop self, identical attributes):

  ingot   the bgp-announce driver (tests/system/drivers/bgp, built in --build): `peer`, `range`,
          `start` on its stdin, right after it starts.
  gobgp   gobgpd (port -1: it connects out), then a small gRPC client built here from the GoBGP
          v3 API module (its source is below) streams the paths with AddPathStream, 1,000 per
          message, and waits for CloseAndRecv. `gobgp mrt inject` is not used: it returns
          without CloseAndRecv and silently loses the last ~700 paths.
  bird    BIRD 2 with N `route ... blackhole` in a static protocol, exported to the receiver
          (`connect delay time 1`, BIRD's effective minimum).

A fresh receiver is started for every run. A thread keeps one connection to the receiver's
control socket and polls `show protocols all peer1` every 2 ms: t0 is taken just before the
sender's process starts; "est" is when the receiver reports Established, "all" when it has
imported N routes. Both are reported from t0, plus est -> all (the transfer itself, without each
sender's connect policy: GoBGP waits a random 5-10 s before its first connect, BIRD about 1 s).
RSS is the sender's VmHWM (peak resident set) once all routes are in: gobgpd alone (the
injector is a separate, short-lived client), BIRD, or the driver.

Everything stays inside the lab's namespaces; every process is stopped by PID, every namespace
deleted at the end (also on an error or a signal). Medians over the runs are printed as a table
with ratios; --json writes every sample.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "system"))

from fixtures import netns  # noqa: E402
from fixtures.routers import Bird, GoBgp, Peer  # noqa: E402

SENDER_AS = 64513
FIRST = "10.200.0.0"
RUN_TIMEOUT = 90.0
GOBGP_VERSION = "v3.10.0"   # the Debian gobgpd's version; the client speaks its gRPC API
INJECT_CACHE = Path(f"/var/cache/ingot/bench-gobgp-inject-{GOBGP_VERSION}")

INJECT_SRC = r'''package main

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"net"
	"os"

	api "github.com/osrg/gobgp/v3/api"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	apb "google.golang.org/protobuf/types/known/anypb"
)

func main() {
	target := flag.String("target", "127.0.0.1:50051", "gobgpd API")
	first := flag.String("first", "10.200.0.0", "first /32")
	n := flag.Int("n", 1000, "routes")
	nh := flag.String("nexthop", "", "next hop")
	batch := flag.Int("batch", 1000, "paths per stream message")
	flag.Parse()
	conn, err := grpc.Dial(*target, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer conn.Close()
	client := api.NewGobgpApiClient(conn)
	stream, err := client.AddPathStream(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	origin, _ := apb.New(&api.OriginAttribute{Origin: 0})
	nexthop, _ := apb.New(&api.NextHopAttribute{NextHop: *nh})
	attrs := []*apb.Any{origin, nexthop}
	base := binary.BigEndian.Uint32(net.ParseIP(*first).To4())
	paths := make([]*api.Path, 0, *batch)
	for i := 0; i < *n; i++ {
		ip := make(net.IP, 4)
		binary.BigEndian.PutUint32(ip, base+uint32(i))
		nlri, _ := apb.New(&api.IPAddressPrefix{Prefix: ip.String(), PrefixLen: 32})
		paths = append(paths, &api.Path{Family: &api.Family{Afi: api.Family_AFI_IP, Safi: api.Family_SAFI_UNICAST},
			Nlri: nlri, Pattrs: attrs})
		if len(paths) == *batch || i == *n-1 {
			if err := stream.Send(&api.AddPathStreamRequest{TableType: api.TableType_GLOBAL, Paths: paths}); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			paths = make([]*api.Path, 0, *batch)
		}
	}
	// Unlike `gobgp mrt inject`: wait until the server has taken every path.
	if _, err := stream.CloseAndRecv(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
'''


def build_injector() -> Path:
    """The GoBGP injector, built once from the Go module proxy and cached."""
    binary = INJECT_CACHE / "gobgp-inject"
    if binary.is_file():
        return binary
    INJECT_CACHE.mkdir(parents=True, exist_ok=True)
    (INJECT_CACHE / "main.go").write_text(INJECT_SRC)
    (INJECT_CACHE / "go.mod").write_text("module gobgpinject\n\ngo 1.21\n")
    env = dict(os.environ, GOFLAGS="-mod=mod", CGO_ENABLED="0", GOWORK="off")
    print(f"building the GoBGP injector in {INJECT_CACHE} (once)...", file=sys.stderr)
    for cmd in (["go", "get", f"github.com/osrg/gobgp/v3@{GOBGP_VERSION}"], ["go", "mod", "tidy"],
                ["go", "build", "-o", str(binary), "."]):
        subprocess.run(cmd, cwd=INJECT_CACHE, env=env, check=True, timeout=900)
    return binary


class BirdCtl:
    """One persistent connection to a BIRD control socket."""

    def __init__(self, path: Path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(str(path))
        self.buf = b""
        self._reply()   # greeting

    def _reply(self) -> str:
        lines = []
        while True:
            while b"\n" not in self.buf:
                chunk = self.s.recv(65536)
                if not chunk:
                    raise ConnectionError("BIRD closed the control socket")
                self.buf += chunk
            line, self.buf = self.buf.split(b"\n", 1)
            text = line.decode(errors="replace")
            lines.append(text)
            if re.match(r"^\d{4} ", text):
                return "\n".join(lines)

    def cmd(self, c: str) -> str:
        self.s.sendall(c.encode() + b"\n")
        return self._reply()

    def close(self) -> None:
        self.s.close()


class Poller(threading.Thread):
    """Polls the receiver every 2 ms; records when it is Established and when it holds n."""

    def __init__(self, ctl: BirdCtl, n: int):
        super().__init__(daemon=True)
        self.ctl, self.n = ctl, n
        self.t_est = self.t_99 = self.t_all = None
        self.imported = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            out = self.ctl.cmd("show protocols all peer1")
            now = time.monotonic()
            if self.t_est is None and "Established" in out:
                self.t_est = now
            m = re.search(r"Routes:\s+(\d+) imported", out)
            self.imported = int(m.group(1)) if m else 0
            if self.t_99 is None and self.imported >= 0.99 * self.n:
                self.t_99 = now
            if self.imported >= self.n:
                self.t_all = now
                return
            time.sleep(0.002)


def vm_hwm_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


class Bench:
    def __init__(self, args):
        self.args = args
        self.created: list[netns.Netns] = []
        self.samples: list[dict] = []
        self.run_no = 0
        self.workdir = Path(args.workdir)

    def new_ns(self, label, cls=netns.Netns):
        ns = cls(label, workdir=self.workdir / label)
        self.created.append(ns)
        return ns

    def close(self) -> None:
        for ns in reversed(self.created):
            try:
                ns.close()
            except Exception as exc:  # keep closing the others
                print(f"teardown: {ns}: {exc}", file=sys.stderr)

    def setup(self) -> None:
        netns.reap_stale_namespaces()
        self.lab = netns.build_bgp_lab(netns.Topology(self.new_ns), 1)
        self.node = self.lab.nodes[0]
        self.router_ip = self.lab.node_lan.v4_host(1)

    def receiver(self) -> Bird:
        self.run_no += 1
        return Bird(self.lab.router, self.workdir / f"receiver-{self.run_no}", asn=self.lab.router_asn,
                    router_id=self.router_ip, peers=[Peer(self.node.v4, SENDER_AS)], passive=True,
                    kernel_export=False)

    # -- senders: each starts its process(es) and returns (pid to measure, procs to stop) --
    def start_ingot(self, n: int):
        driver = Path(self.args.build) / "tests/system/drivers/bgp/bgp-announce"
        proc = self.node.popen([driver, "--log-level", "warn"], stdin=subprocess.PIPE,
                               log=self.workdir / "ingot.log")
        proc.stdin.write((f"peer {self.router_ip} as={self.lab.router_asn} local-as={SENDER_AS} "
                          f"router-id={self.node.v4}\nrange {FIRST} {n}\nstart\n").encode())
        proc.stdin.flush()
        return proc.pid, [proc]

    def start_gobgp(self, n: int):
        g = GoBgp(self.node, self.workdir / f"gobgp-{self.run_no}", asn=SENDER_AS, router_id=self.node.v4,
                  peers=[Peer(self.router_ip, self.lab.router_asn)], start=False)
        g._start("gobgpd", ["gobgpd", "-f", g.conf, "-t", "toml", "-p", "-l", "warn",
                            "--api-hosts", f"127.0.0.1:{g.API_PORT}", "--pprof-disable"])
        netns.wait_for(lambda: g.gobgp("global", check=False).returncode == 0, timeout=20, interval=0.02,
                       what="gobgpd API")
        self.node.run([self.injector, "-target", f"127.0.0.1:{g.API_PORT}", "-first", FIRST, "-n", n,
                       "-nexthop", self.node.v4], timeout=RUN_TIMEOUT)
        return g.procs[0].pid, g.procs

    def start_bird(self, n: int):
        base = int.from_bytes(socket.inet_aton(FIRST), "big")
        static = "\n".join(f"  route {socket.inet_ntoa((base + i).to_bytes(4, 'big'))}/32 blackhole;"
                           for i in range(n))
        b = Bird(self.node, self.workdir / f"bird-sender-{self.run_no}", asn=SENDER_AS, router_id=self.node.v4,
                 peers=[Peer(self.router_ip, self.lab.router_asn)], passive=False, export="all",
                 kernel_export=False, extra=f"protocol static st {{\n  ipv4;\n{static}\n}}\n", start=False)
        b._start("bird", ["bird", "-f", "-c", b.conf, "-s", b.sock, "-P", b.pidfile])
        return b.procs[0].pid, b.procs

    def one(self, sender: str, n: int) -> dict:
        rx = self.receiver()
        ctl = BirdCtl(rx.sock)
        procs = []
        try:
            poll = Poller(ctl, n)
            t0 = time.monotonic()
            poll.start()
            pid, procs = getattr(self, f"start_{sender}")(n)
            poll.join(RUN_TIMEOUT)
            poll.stop.set()
            poll.join(5)
            hwm = vm_hwm_mb(pid)
            sample = {"sender": sender, "n": n, "imported": poll.imported,
                      "est": poll.t_est - t0 if poll.t_est else None,
                      "all": poll.t_all - t0 if poll.t_all else None,
                      "est_to_all": poll.t_all - poll.t_est if poll.t_all and poll.t_est else None,
                      "est_to_99": poll.t_99 - poll.t_est if poll.t_99 and poll.t_est else None,
                      "vmhwm_mb": hwm}
        finally:
            for p in reversed(procs):
                self.node.stop(p)
            ctl.close()
            rx.stop()
        print(json.dumps(sample), file=sys.stderr)
        return sample

    def run(self) -> None:
        self.setup()
        senders = self.args.senders.split(",")
        if "gobgp" in senders:
            self.injector = build_injector()
        for n in [int(c) for c in self.args.counts.split(",")]:
            for r in range(self.args.runs):
                # rotate the order so drift on this shared machine favours no one
                for k in range(len(senders)):
                    s = senders[(k + r) % len(senders)]
                    self.samples.append(self.one(s, n))

    def report(self) -> None:
        def med(vals):
            vals = [v for v in vals if v is not None]
            return statistics.median(vals) if vals else None

        def fmt(v, unit=""):
            return "-" if v is None else f"{v:.3f}{unit}" if unit == "" else f"{v:.1f}{unit}"

        cells = {}
        for s in self.samples:
            cells.setdefault((s["n"], s["sender"]), []).append(s)
        print(f"{'N':>7} {'sender':<7} {'runs':>4} {'start->est s':>12} {'start->all s':>12} "
              f"{'est->all s':>10} {'est->99% s':>10} {'VmHWM MB':>9} {'complete':>8}")
        meds = {}
        for (n, sender), ss in sorted(cells.items()):
            m = {k: med([s[k] for s in ss]) for k in ("est", "all", "est_to_all", "est_to_99", "vmhwm_mb")}
            meds[(n, sender)] = m
            ok = sum(1 for s in ss if s["imported"] >= n)
            print(f"{n:>7} {sender:<7} {len(ss):>4} {fmt(m['est']):>12} {fmt(m['all']):>12} "
                  f"{fmt(m['est_to_all']):>10} {fmt(m['est_to_99']):>10} {fmt(m['vmhwm_mb'], ' '):>9} "
                  f"{ok}/{len(ss):<6}")
        print("\nratios (ingot / other; below 1 means ingot is faster or smaller):")
        for n in sorted({k[0] for k in meds}):
            a = meds.get((n, "ingot"))
            for other in ("gobgp", "bird"):
                b = meds.get((n, other))
                if not a or not b:
                    continue
                parts = []
                for key, label in (("all", "start->all"), ("est_to_all", "est->all"), ("est_to_99", "est->99%"),
                                   ("vmhwm_mb", "VmHWM")):
                    if a[key] is not None and b[key]:
                        parts.append(f"{label} {a[key] / b[key]:.3g}x")
                print(f"  N={n:<7} vs {other:<6} " + "  ".join(parts))
        if self.args.json:
            Path(self.args.json).write_text(json.dumps(self.samples, indent=1))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.environ.get("INGOT_BUILD", str(REPO / "build")))
    ap.add_argument("--counts", default="10000,100000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--senders", default="ingot,gobgp,bird")
    ap.add_argument("--json")
    ap.add_argument("--workdir", default=f"/tmp/bench-bgp-{os.getpid()}")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("bench_bgp needs root (network namespaces)", file=sys.stderr)
        return 2
    if not Path(args.build, "tests/system/drivers/bgp/bgp-announce").is_file():
        print(f"no bgp-announce in {args.build}: build it or pass --build", file=sys.stderr)
        return 2

    def on_signal(signo, frame):
        raise SystemExit(f"stopped by signal {signo}")
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    bench = Bench(args)
    try:
        bench.run()
    finally:
        bench.close()
    bench.report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
