#!/usr/bin/python3
"""Speaker memory benchmark (issue 7): ingot's speaker against MetalLB's at 1,000 and 10,000 Services.

    sudo /usr/bin/python3 bench/bench_speaker_rss.py [--ingot build/ingot] [--metallb PATH]
                                                     [--sizes 1000,10000] [--json FILE]

Starts its own etcd + kube-apiserver (tests/system/fixtures/cluster.py, binaries from /var/cache/ingot)
and fills it with what a speaker reads: the metallb.io CRDs, an IPAddressPool (198.18.128.0/17, the
benchmarking range of RFC 2544) with an L2Advertisement, three Nodes (node1..node3) and, in namespace
"rss", N LoadBalancer Services that already have their IP in status (set through the status
subresource, as a controller does; `allocateLoadBalancerNodePorts: false` so NodePorts do not run
out), each with one EndpointSlice holding one ready endpoint on one of the three nodes. Creates run in
parallel, straight to the API server.

For each size, in the same run and against the same objects, each speaker is started fresh as node1
in a node namespace of its own (tests/system/fixtures/netns.py; it reaches the API server through
seedlab.ApiBridge, so its ARP answers stay inside the lab) and left to process everything: done is
when it has announced every Service MetalLB's election gives node1 (the lowest sha256("node#ip")
among the three; about a third), counted from its log (ingot: the nodeAssigned lines;
MetalLB: the serviceAnnounced lines), then SETTLE s more. Its VmHWM and VmRSS are read from
/proc/PID/status and it is stopped by PID.

  ingot     `ingot speaker --node-name node1 --kubeconfig K` (failure detection off when this build
            has one, --ml-disable, so that, like MetalLB below, every Node counts as live).
  MetalLB   go.universe.tf/metallb speaker v0.16.1 built from the Go module proxy
            (go install go.universe.tf/metallb/speaker@v0.16.1), native BGP mode (no FRR needed),
            memberlist disabled (no --ml-bindaddr), its Pod object created for its owner references.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import ipaddress
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "tests" / "system"))
sys.path.insert(0, str(REPO / "tests" / "system" / "data" / "speaker"))

from bench_controller import Api  # noqa: E402
from fixtures import netns  # noqa: E402
from fixtures.cluster import cluster_down, cluster_up  # noqa: E402
import seedlab  # noqa: E402

CONFIG_NS = "metallb-system"
SVC_NS = "rss"
NODES = ["node1", "node2", "node3"]
ME = "node1"
POOL_NET = ipaddress.ip_network("198.18.128.0/17")
EP_NET = ipaddress.ip_network("198.19.0.0/16")
METALLB_POD = "speaker-bench"

CONFIG = f"""apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: rss
  namespace: {CONFIG_NS}
spec:
  addresses: [{POOL_NET}]
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata:
  name: rss
  namespace: {CONFIG_NS}
"""


def svc_ip(i: int) -> str:
    return str(POOL_NET[i + 1])


def owner(ip: str) -> str:
    """MetalLB's layer-2 election among every node (memberlist off): lowest sha256("node#ip")."""
    return min(NODES, key=lambda n: hashlib.sha256(f"{n}#{ip}".encode()).digest())


def request(api: Api, method: str, path: str, body, content_type: str = "application/json"):
    """One API call on the calling thread's keep-alive connection; retries 429/5xx and broken
    connections a few times. Returns (status, parsed body)."""
    import http.client
    last = None
    for attempt in range(6):
        conn = getattr(api.local, "conn", None) or api.connect()
        api.local.conn = conn
        try:
            conn.request(method, path, body=json.dumps(body),
                         headers={"Content-Type": content_type, "Accept": "application/json"})
            resp = conn.getresponse()
            data = resp.read()
            if resp.status == 429 or resp.status >= 500:
                last = f"{resp.status} {data[:200]!r}"
                time.sleep(0.2 * (attempt + 1))
                continue
            return resp.status, json.loads(data) if data else None
        except (OSError, http.client.HTTPException) as e:
            last = repr(e)
            conn.close()
            api.local.conn = None
            time.sleep(0.2)
    raise RuntimeError(f"{method} {path} failed: {last}")


def create_one(api: Api, i: int) -> None:
    name = f"s{i:05d}"
    base = f"/api/v1/namespaces/{SVC_NS}/services"
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
           "spec": {"type": "LoadBalancer", "allocateLoadBalancerNodePorts": False, "selector": {"app": name},
                    "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}}
    st, body = request(api, "POST", base, svc)
    if st not in (201, 409):
        raise RuntimeError(f"create {name}: {st} {body}")
    st, body = request(api, "PATCH", f"{base}/{name}/status",
                       {"status": {"loadBalancer": {"ingress": [{"ip": svc_ip(i), "ipMode": "VIP"}]}}},
                       "application/merge-patch+json")
    if st != 200:
        raise RuntimeError(f"status of {name}: {st} {body}")
    eps = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
           "metadata": {"name": f"{name}-a", "labels": {"kubernetes.io/service-name": name}},
           "addressType": "IPv4", "ports": [{"name": "http", "port": 80, "protocol": "TCP"}],
           "endpoints": [{"addresses": [str(EP_NET[i + 1])], "conditions": {"ready": True},
                          "nodeName": NODES[i % len(NODES)]}]}
    st, body = request(api, "POST", f"/apis/discovery.k8s.io/v1/namespaces/{SVC_NS}/endpointslices", eps)
    if st not in (201, 409):
        raise RuntimeError(f"EndpointSlice of {name}: {st} {body}")


def fill(api: Api, start: int, stop: int, threads: int) -> float:
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        for _ in pool.map(lambda i: create_one(api, i), range(start, stop)):
            pass
    return time.monotonic() - t0


def proc_status(pid: int) -> dict[str, str]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        out[key] = value.strip()
    return out


_INGOT_LINE = re.compile(r"nodeAssigned.*service=(\S+)")


def announced_ingot(log: Path) -> set[str]:
    return set(_INGOT_LINE.findall(log.read_text(errors="replace")))


def announced_metallb(log: Path) -> set[str]:
    """Its serviceAnnounced lines name the IPs, not the Service: map them back."""
    out = set()
    for line in log.read_text(errors="replace").splitlines():
        if '"serviceAnnounced"' not in line:
            continue
        try:
            ips = json.loads(line)["ips"]
        except (ValueError, KeyError):
            continue
        for ip in ips:
            i = int(ipaddress.ip_address(ip)) - int(POOL_NET[1])
            out.add(f"{SVC_NS}/s{i:05d}")
    return out


class Bench:
    def __init__(self, args):
        self.args = args
        self.work = args.workdir
        self.created: list[netns.Netns] = []
        self.results: list[dict] = []

    def new_ns(self, label, cls=netns.Netns):
        (self.work / label).mkdir(parents=True, exist_ok=True)
        ns = cls(label, workdir=self.work / label)
        self.created.append(ns)
        return ns

    def setup_cluster(self) -> None:
        c = self.cluster
        c.kubectl("apply", "-k", REPO / "deploy" / "crds")
        c.kubectl("wait", "--for=condition=Established", "--timeout=120s", "crd", "--all")
        c.kubectl("create", "namespace", CONFIG_NS)
        c.kubectl("create", "namespace", SVC_NS)
        c.apply(CONFIG)
        for n in NODES:
            c.apply(seedlab.node_object(n))
        c.apply(json.dumps({"apiVersion": "v1", "kind": "Pod",
                            "metadata": {"name": METALLB_POD, "namespace": CONFIG_NS,
                                         "labels": {"app": "metallb", "component": "speaker"}},
                            "spec": {"nodeName": ME, "hostNetwork": True,
                                     "containers": [{"name": "speaker", "image": "metallb/speaker"}]}}))

    def setup_lab(self) -> None:
        topo = netns.Topology(self.new_ns)
        lan = topo.add_lan("rsslan", "198.18.0.0/16", "2001:db8:18::/64")
        self.bridge = seedlab.ApiBridge(self.cluster, self.work / "api")
        self.nodes = {}
        for impl in self.impls:
            ns = topo.namespace(f"{impl}-{ME}", netns.Node)
            topo.attach(ns, lan, 11 + len(self.nodes))
            self.nodes[impl] = (ns, self.bridge.attach(ns))

    def start(self, impl: str, log: Path):
        ns, kubeconfig = self.nodes[impl]
        if impl == "ingot":
            argv = [self.args.ingot, "speaker", "--node-name", ME, "--kubeconfig", kubeconfig,
                    "--namespace", CONFIG_NS, "--log-level", self.args.log_level]
            if self.ingot_ml_disable:
                argv.append("--ml-disable")
        else:
            argv = [self.args.metallb, "--node-name", ME, "--kubeconfig", kubeconfig, "--namespace", CONFIG_NS,
                    "--pod-name", METALLB_POD, "--log-level", self.args.log_level, "--port", "0", "--health-probe-port", "0"]
        return ns, ns.popen(argv, log=log)

    def measure(self, impl: str, n: int, expected: set[str]) -> dict:
        log = self.work / f"{impl}-{n}.log"
        count = announced_ingot if impl == "ingot" else announced_metallb
        t0 = time.monotonic()
        ns, proc = self.start(impl, log)
        try:
            last_change, seen = time.monotonic(), 0
            while True:
                time.sleep(0.5)
                if proc.poll() is not None:
                    raise RuntimeError(f"{impl} exited ({proc.returncode}); see {log}")
                got = count(log) & expected
                if len(got) != seen:
                    seen, last_change = len(got), time.monotonic()
                if seen == len(expected):
                    done = time.monotonic() - t0
                    break
                if time.monotonic() - last_change > self.args.stall:
                    done = None
                    break
            time.sleep(self.args.settle)
            st = proc_status(proc.pid)
            extra = count(log) - expected
        finally:
            ns.stop(proc, grace=10.0)
        r = {"impl": impl, "n": n, "expected": len(expected), "announced": seen, "unexpected": len(extra),
             "done_s": done, "VmHWM_kB": int(st["VmHWM"].split()[0]), "VmRSS_kB": int(st["VmRSS"].split()[0]),
             "threads": int(st["Threads"]), "log": str(log)}
        print(f"{impl:8} N={n:6}: announced {seen}/{len(expected)} of its Services "
              f"{'in %.1f s' % done if done is not None else 'and then stalled'}; "
              f"VmHWM {r['VmHWM_kB'] / 1024:.1f} MiB, VmRSS {r['VmRSS_kB'] / 1024:.1f} MiB "
              f"(load {' '.join(Path('/proc/loadavg').read_text().split()[:3])})", flush=True)
        return r

    def run(self) -> None:
        self.impls = ["ingot"] + (["metallb"] if self.args.metallb else [])
        helptext = subprocess.run([str(self.args.ingot), "speaker", "--help"], capture_output=True, text=True)
        self.ingot_ml_disable = "--ml-disable" in helptext.stdout + helptext.stderr
        state = self.work / "cluster"
        state.mkdir(parents=True)
        self.cluster = cluster_up(state)
        try:
            self.setup_cluster()
            self.setup_lab()
            api = Api(self.cluster)
            have = 0
            for n in self.args.sizes:
                took = fill(api, have, n, self.args.threads)
                print(f"created Services {have}..{n - 1} with status and EndpointSlices in {took:.1f} s "
                      f"({(n - have) / took:.0f} Services/s)", flush=True)
                have = n
                expected = {f"{SVC_NS}/s{i:05d}" for i in range(n) if owner(svc_ip(i)) == ME}
                for impl in self.impls:
                    self.results.append(self.measure(impl, n, expected))
        finally:
            self.bridge_close()
            for ns in reversed(self.created):
                try:
                    ns.close()
                except Exception as exc:  # keep closing the others
                    print(f"cleanup of {ns}: {exc}", file=sys.stderr)
            cluster_down(state)

    def bridge_close(self) -> None:
        if getattr(self, "bridge", None):
            self.bridge.close()

    def report(self) -> None:
        by = {(r["impl"], r["n"]): r for r in self.results}
        print("\n| Services | speaker | announced by node1 | time to all announced | VmHWM | VmRSS |")
        print("|---|---|---|---|---|---|")
        for r in self.results:
            t = f"{r['done_s']:.1f} s" if r["done_s"] is not None else "stalled"
            print(f"| {r['n']:,} | {r['impl']} | {r['announced']}/{r['expected']} | {t} | "
                  f"{r['VmHWM_kB'] / 1024:.1f} MiB | {r['VmRSS_kB'] / 1024:.1f} MiB |")
        for n in self.args.sizes:
            i, m = by.get(("ingot", n)), by.get(("metallb", n))
            if i and m:
                print(f"ratio N={n}: MetalLB / ingot VmHWM {m['VmHWM_kB'] / i['VmHWM_kB']:.2f}x, "
                      f"VmRSS {m['VmRSS_kB'] / i['VmRSS_kB']:.2f}x")
        print(f"load average at end {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ingot", type=Path, default=Path(os.environ.get("INGOT_BIN", REPO / "build" / "ingot")))
    ap.add_argument("--metallb", type=Path, help="MetalLB's speaker binary (go install go.universe.tf/metallb/speaker)")
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--threads", type=int, default=16, help="parallel creates")
    ap.add_argument("--settle", type=float, default=10.0, help="seconds after the last announcement before reading RSS")
    ap.add_argument("--stall", type=float, default=120.0, help="give up when nothing new is announced for this long")
    ap.add_argument("--log-level", default="info", help="both speakers (the counts need info or debug)")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--workdir", type=Path)
    args = ap.parse_args()
    args.sizes = sorted(int(s) for s in args.sizes.split(","))
    if not args.ingot.is_file() or (args.metallb and not args.metallb.is_file()):
        ap.error("binary not found")
    if args.sizes[-1] >= POOL_NET.num_addresses - 2:
        ap.error("too many Services for the pool")
    if os.geteuid() != 0:
        ap.error("needs root (network namespaces)")
    args.workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-speaker-rss-"))
    print(f"logs in {args.workdir}; load average {' '.join(Path('/proc/loadavg').read_text().split()[:3])}",
          flush=True)
    def on_signal(signo, frame):
        raise SystemExit(f"stopped by signal {signo}")
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    bench = Bench(args)
    bench.run()
    bench.report()
    print(json.dumps(bench.results))
    if args.json:
        args.json.write_text(json.dumps(bench.results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
