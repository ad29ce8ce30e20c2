#!/usr/bin/python3
"""End-to-end controller benchmark against a real kube-apiserver (a program, not a test).

For each implementation (ingot's controller, and MetalLB's when its binary is given) and each size N (1,000
and 10,000 by default): create N LoadBalancer Services in a fresh namespace, in parallel straight to the API
server, and time from the first create until every one of them has status.loadBalancer.ingress, as seen
through a watch. Also prints how long the creates themselves took (the API server's share) and the
controller's peak and current RSS (VmHWM, VmRSS) after the runs.

Both controllers read the same metallb.io configuration (one IPAddressPool, 10.40.0.0/16) and each runs with
its own --lb-class, with Services of that class, so neither sees the other's work. MetalLB's controller is
run with its webhooks disabled (no certificates here).

    /usr/bin/python3 bench/bench_controller.py [--ingot build/ingot] [--metallb PATH] [--sizes 1000,10000]

Uses tests/system/fixtures/cluster.py to start (and always stop) its own etcd + kube-apiserver.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import http.client
import json
import os
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "system"))
from fixtures.cluster import cluster_down, cluster_up  # noqa: E402

CONFIG_NS = "metallb-system"
POOL = f"""apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: bench
  namespace: {CONFIG_NS}
spec:
  addresses: [10.40.0.0/16]
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata:
  name: bench
  namespace: {CONFIG_NS}
"""


class Api:
    """Minimal HTTPS client on the cluster's admin certificate; one keep-alive connection per thread."""

    def __init__(self, cluster):
        host, port = cluster.server.removeprefix("https://").rsplit(":", 1)
        self.host, self.port = host.strip("[]"), int(port)
        self.ctx = ssl.create_default_context(cafile=cluster.ca)
        self.ctx.load_cert_chain(cluster.admin_cert, cluster.admin_key)
        self.local = threading.local()

    def connect(self, timeout=60):
        return http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=timeout)

    def request(self, method, path, body=None):
        last = None
        for attempt in range(5):
            conn = getattr(self.local, "conn", None) or self.connect()
            self.local.conn = conn
            try:
                conn.request(method, path, body=None if body is None else json.dumps(body),
                             headers={"Content-Type": "application/json", "Accept": "application/json"})
                resp = conn.getresponse()
                data = resp.read()
                if resp.status == 429 or resp.status >= 500:
                    last = f"{resp.status} {data[:300]!r}"
                    time.sleep(0.2 * (attempt + 1))
                    continue
                return resp.status, json.loads(data) if data else None
            except (OSError, http.client.HTTPException) as e:
                last = repr(e)
                conn.close()
                self.local.conn = None
                time.sleep(0.2)
        raise RuntimeError(f"{method} {path} failed: {last}")


class IngressWatch(threading.Thread):
    """Watches the Services of one namespace and records when each first shows an ingress IP."""

    def __init__(self, api: Api, namespace: str, want: int):
        super().__init__(daemon=True)
        self.api, self.ns, self.want = api, namespace, want
        self.with_ip: set[str] = set()
        self.done = threading.Event()
        self.done_at = None
        status, body = api.request("GET", f"/api/v1/namespaces/{namespace}/services")
        self.rv = body["metadata"]["resourceVersion"]

    def run(self):
        conn = self.api.connect(timeout=3600)
        conn.request("GET", f"/api/v1/namespaces/{self.ns}/services?watch=1&allowWatchBookmarks=true"
                            f"&timeoutSeconds=3600&resourceVersion={self.rv}",
                     headers={"Accept": "application/json"})
        resp = conn.getresponse()
        while not self.done.is_set():
            line = resp.readline()
            if not line:
                break
            ev = json.loads(line)
            obj = ev.get("object", {})
            if ev.get("type") in ("ADDED", "MODIFIED") and \
                    obj.get("status", {}).get("loadBalancer", {}).get("ingress"):
                self.with_ip.add(obj["metadata"]["name"])
                if len(self.with_ip) >= self.want:
                    self.done_at = time.monotonic()
                    self.done.set()
        conn.close()


def service(name: str, lb_class: str) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"type": "LoadBalancer", "loadBalancerClass": lb_class, "selector": {"app": name},
                     # 10,000 Services would exhaust the 2,768 NodePorts of 30000-32767
                     "allocateLoadBalancerNodePorts": False,
                     "ports": [{"port": 80, "protocol": "TCP"}]}}


def proc_status(pid: int) -> dict[str, str]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        out[key] = value.strip()
    return out


def run_size(api: Api, cluster, impl: str, lb_class: str, n: int, threads: int) -> dict:
    ns = f"bench-{impl}-{n}"
    cluster.kubectl("create", "namespace", ns)
    watch = IngressWatch(api, ns, n)
    watch.start()
    path = f"/api/v1/namespaces/{ns}/services"
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        codes = list(pool.map(lambda i: api.request("POST", path, service(f"s{i:05d}", lb_class))[0],
                              range(n)))
    created = time.monotonic()
    bad = [c for c in codes if c != 201]
    if bad:
        raise RuntimeError(f"{len(bad)} creates failed: {bad[:5]}")
    if not watch.done.wait(timeout=1800):
        raise RuntimeError(f"{impl}: only {len(watch.with_ip)} of {n} Services got an IP")
    return {"impl": impl, "n": n, "create_s": created - t0, "all_status_s": watch.done_at - t0,
            "after_last_create_s": watch.done_at - created}


def start_ingot(binary, cluster, log: Path, lb_class: str):
    f = open(log, "ab")
    proc = subprocess.Popen([str(binary), "controller", "--kubeconfig", cluster.kubeconfig, "--namespace",
                             CONFIG_NS, "--lb-class", lb_class], stdout=f, stderr=f,
                            stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while "imported existing assignments" not in log.read_text(errors="replace"):
        if time.monotonic() > deadline or proc.poll() is not None:
            raise RuntimeError(f"ingot controller did not start; see {log}")
        time.sleep(0.05)
    return proc


def start_metallb(binary, cluster, log: Path, lb_class: str):
    # It looks its own Pod and Deployment up for owner references; no kubelet or controller-manager runs
    # here, so objects that never run will do.
    pod_spec = {"containers": [{"name": "controller", "image": "metallb/controller"}]}
    cluster.apply(json.dumps({"apiVersion": "v1", "kind": "Pod",
                              "metadata": {"name": "metallb-controller", "namespace": CONFIG_NS},
                              "spec": pod_spec}))
    cluster.apply(json.dumps({"apiVersion": "apps/v1", "kind": "Deployment",
                              "metadata": {"name": "controller", "namespace": CONFIG_NS},
                              "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "metallb"}},
                                       "template": {"metadata": {"labels": {"app": "metallb"}},
                                                    "spec": pod_spec}}}))
    f = open(log, "ab")
    proc = subprocess.Popen([str(binary), "--kubeconfig", cluster.kubeconfig, "--namespace", CONFIG_NS,
                             "--pod-name", "metallb-controller", "--ml-secret-name", "memberlist",
                             "--deployment", "controller",
                             "--lb-class", lb_class, "--webhook-mode", "disabled", "--disable-cert-rotation",
                             "--port", "0", "--health-probe-port", "0", "--log-level", "info"],
                            stdout=f, stderr=f, stdin=subprocess.DEVNULL)
    # ready once it has assigned a probe Service of its class
    probe_ns = "bench-metallb-probe"
    cluster.kubectl("create", "namespace", probe_ns)
    cluster.apply(json.dumps(service("probe", lb_class)), namespace=probe_ns)
    deadline = time.monotonic() + 120
    while not cluster.get_json("service", "probe", "-n", probe_ns).get("status", {}).get("loadBalancer", {}) \
            .get("ingress"):
        if time.monotonic() > deadline or proc.poll() is not None:
            raise RuntimeError(f"MetalLB controller did not assign an IP; see {log}")
        time.sleep(0.2)
    return proc


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ingot", default=os.environ.get("INGOT_BIN", str(REPO / "build" / "ingot")))
    ap.add_argument("--metallb", help="MetalLB's controller binary (go install go.universe.tf/metallb/controller)")
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--threads", type=int, default=16, help="parallel creates")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    impls = [("ingot", args.ingot, start_ingot)]
    if args.metallb:
        impls.append(("metallb", args.metallb, start_metallb))

    work = Path(tempfile.mkdtemp(prefix="bench-controller-"))
    state = work / "cluster"
    state.mkdir()
    print(f"cluster state and logs in {work}", flush=True)
    cluster = cluster_up(state)
    procs = []
    results = []
    try:
        cluster.kubectl("apply", "-k", REPO / "deploy" / "crds")
        cluster.kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd/ipaddresspools.metallb.io")
        cluster.kubectl("create", "namespace", CONFIG_NS)
        cluster.apply(POOL)
        api = Api(cluster)
        for impl, binary, start in impls:
            lb_class = f"{impl}.bench/lb"
            proc = start(binary, cluster, work / f"{impl}.log", lb_class)
            procs.append(proc)
            for n in sizes:
                r = run_size(api, cluster, impl, lb_class, n, args.threads)
                results.append(r)
                print(f"{impl:8} N={n:6}: all {n} Services have status {r['all_status_s']:7.2f} s after the first "
                      f"create (creates took {r['create_s']:7.2f} s; last status {r['after_last_create_s']:6.2f} s "
                      f"after the last create)", flush=True)
            st = proc_status(proc.pid)
            print(f"{impl:8} RSS after {sum(sizes)} Services: VmHWM {st['VmHWM']}, VmRSS {st['VmRSS']}", flush=True)
            results.append({"impl": impl, "VmHWM": st["VmHWM"], "VmRSS": st["VmRSS"]})
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        by = {(r["impl"], r.get("n")): r for r in results}
        if args.metallb:
            for n in sizes:
                i, m = by[("ingot", n)], by[("metallb", n)]
                print(f"ratio N={n}: MetalLB/ingot time to all status {m['all_status_s'] / i['all_status_s']:.2f}x; "
                      f"after the last create {m['after_last_create_s']:.2f} s vs {i['after_last_create_s']:.2f} s")
            hwm = {impl: int(by[(impl, None)]["VmHWM"].split()[0]) for impl in ("ingot", "metallb")}
            print(f"ratio VmHWM: MetalLB/ingot {hwm['metallb'] / hwm['ingot']:.2f}x")
        print(json.dumps(results))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        cluster_down(state)


if __name__ == "__main__":
    main()
