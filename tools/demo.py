"""The lab demo (`make demo`): the seed article's walk-through, on one machine, with real parts.

It builds the embedded lab out of the same pieces the system tests use (tests/system/fixtures):
a real kube-apiserver + etcd, network namespaces for nodes, a router and a client, and BIRD as
the upstream router. Each step prints what it runs and what it saw. Everything it starts is
stopped by PID and every namespace is deleted at the end, also on failure or Ctrl-C.

Steps:
  1. ingot's build and libraries
  2. the seed's MetalLB ConfigMaps (bgp.yml, l2.yml) read, validated and converted to CRDs
  3. the seed in BGP mode end to end: the real API server, `ingot controller`, `ingot speaker` in
     three node namespaces, BIRD as the seed's router (172.30.8.35, AS 64500, inside the lab
     only); bgp.yml and nginx.yml applied unchanged; `kubectl get service` shows 198.51.100.1,
     BIRD's ECMP route has every node as next hop, and client traffic splits across the nodes
  4. layer 2: ingot's responder answers ARP for a service IP in a node namespace; a client
     resolves it; the IP moves to another node and the client's neighbour entry follows (the
     measured time is printed)
"""
from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import tempfile
import textwrap
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "system"))

from fixtures import cluster as cluster_fixture  # noqa: E402
from fixtures import netns  # noqa: E402
from fixtures import routers  # noqa: E402

sys.path.insert(0, str(REPO / "tests" / "system" / "data" / "speaker"))
import seedlab  # noqa: E402

INGOT = pathlib.Path(os.environ.get("INGOT_BIN", REPO / "build" / "ingot"))
SEED_DATA = REPO / "tests" / "system" / "data"
L2_DRIVER = REPO / "build" / "tests" / "system" / "drivers" / "l2" / "l2-announce"


def banner(title: str) -> None:
    print(f"\n=== {title} " + "=" * max(0, 70 - len(title)), flush=True)


def show(cmd: list[str], check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    """Runs cmd, echoing it and its output as a user would see them in a terminal."""
    print("$ " + " ".join(str(c) for c in cmd), flush=True)
    proc = subprocess.run([str(c) for c in cmd], text=True, capture_output=True, **kwargs)
    out = (proc.stdout + proc.stderr).rstrip()
    if out:
        print(textwrap.indent(out, "  "), flush=True)
    if check and proc.returncode != 0:
        raise SystemExit(f"demo: '{cmd[0]} {cmd[1] if len(cmd) > 1 else ''}' failed ({proc.returncode})")
    return proc


def step_build() -> None:
    banner("1. ingot")
    show([INGOT, "version", "-v"])
    show([INGOT, "--help"])


def step_config(work: pathlib.Path) -> None:
    banner("2. MetalLB configuration, as the seed wrote it")
    for name in ("bgp.yml", "l2.yml"):
        path = SEED_DATA / name
        show(["cat", path])
        show([INGOT, "config", "validate", path])
    converted = work / "bgp-crds.yaml"
    proc = show([INGOT, "config", "convert", SEED_DATA / "bgp.yml"])
    converted.write_text(proc.stdout)


def step_l2(work: pathlib.Path) -> None:
    banner("4. Layer 2: ingot answers ARP for a service IP, and hands it over")
    created: list[netns.Netns] = []

    def new_ns(label, cls=netns.Netns):
        ns = cls(label, workdir=work / label)
        created.append(ns)
        return ns

    try:
        topo = netns.Topology(new_ns)
        lab = netns.build_l2_lab(topo, nodes=2)
        vip = str(lab.service_v4[1])
        node1, node2 = lab.nodes
        print(f"  lab: client {lab.client.v4}, node1 {node1.v4} ({node1.mac()}), "
              f"node2 {node2.v4} ({node2.mac()}), service IP {vip}", flush=True)
        speaker1 = node1.popen([L2_DRIVER, "--interface", "eth0", vip], log=work / "node1-l2.log")
        time.sleep(0.3)
        show(["ip", "netns", "exec", lab.client.name, "arping", "-c", "2", "-w", "3", "-I", "eth0", vip])
        lab.client.ping(vip, count=1, timeout=1)  # the client now talks to the service IP
        print(f"  client's neighbour entry: {vip} -> {lab.client.neigh_lladdr(vip)}", flush=True)
        print("  node1 stops announcing; node2 takes over and sends gratuitous ARP ...", flush=True)
        node1.stop(speaker1)
        started = time.monotonic()
        node2.popen([L2_DRIVER, "--interface", "eth0", vip], log=work / "node2-l2.log")
        netns.wait_for(lambda: lab.client.neigh_lladdr(vip) == node2.mac(), timeout=5,
                       what="client neighbour entry to move to node2")
        print(f"  client's neighbour entry: {vip} -> {lab.client.neigh_lladdr(vip)} "
              f"({(time.monotonic() - started) * 1000:.0f} ms after node2 started)", flush=True)
    finally:
        for ns in reversed(created):
            ns.close()


def step_bgp_seed(work: pathlib.Path) -> None:
    banner("3. The seed in BGP mode: controller, three speakers, BIRD as the router")
    state = work / "cluster-bgp"
    created: list[netns.Netns] = []
    procs: list[tuple[netns.Netns | None, subprocess.Popen]] = []
    birds: list[routers.Bird] = []
    bridge = None

    def new_ns(label, cls=netns.Netns):
        ns = cls(label, workdir=work / "bgp" / label)
        created.append(ns)
        return ns

    print(f"starting etcd + kube-apiserver (tools/cluster up --dir {state}) ...", flush=True)
    cl = cluster_fixture.cluster_up(state)
    try:
        kubectl = ["kubectl", f"--kubeconfig={cl.kubeconfig}"]
        topo = netns.Topology(new_ns)
        lab = seedlab.build_bgp_seed_lab(topo, netns.Node, nodes=3)
        names = [f"node{i}" for i in range(1, 4)]
        print(f"  lab: router {seedlab.SEED_ROUTER_IP} (AS {seedlab.SEED_ROUTER_ASN}), nodes "
              + ", ".join(f"{n} {ip}" for n, ip in zip(names, lab.node_ips))
              + f", client {lab.client.v4} behind the router", flush=True)

        def make_bird(ns, **kwargs):
            birds.append(routers.Bird(ns, work / "bgp" / "bird", **kwargs))
            return birds[-1]

        router = seedlab.start_bird(make_bird, lab.router)
        bridge = seedlab.ApiBridge(cl, work / "bgp" / "api")
        subprocess.run(kubectl + ["create", "namespace", "metallb-system"], capture_output=True)
        for name, ns in zip(names, lab.nodes):
            subprocess.run(kubectl + ["apply", "-f", "-"], input=seedlab.node_object(name), text=True,
                           capture_output=True, check=True)
            ns.serve_vip(seedlab.SEED_BGP_IP)  # kube-proxy's part: the node accepts the service IP
            kcfg = bridge.attach(ns)
            procs.append((ns, ns.popen([INGOT, "speaker", "--node-name", name, "--kubeconfig", kcfg],
                                       log=work / "bgp" / f"speaker-{name}.log")))
        log = open(work / "bgp" / "controller.log", "ab")
        procs.append((None, subprocess.Popen([str(INGOT), "controller", "--kubeconfig", cl.kubeconfig],
                                             stdout=log, stderr=subprocess.STDOUT)))
        log.close()
        show(kubectl + ["apply", "-f", SEED_DATA / "bgp.yml"])
        show(kubectl + ["apply", "-f", SEED_DATA / "nginx.yml"])
        print("  no kubelet runs here: the EndpointSlice the Deployment's three pods would give, one per node",
              flush=True)
        subprocess.run(kubectl + ["apply", "-f", "-"], text=True, capture_output=True, check=True,
                       input=seedlab.endpoint_slice("default", "nginx", names,
                                                    ["10.244.1.5", "10.244.2.5", "10.244.3.5"]))
        netns.wait_for(lambda: seedlab.external_ip(cl, "default", "nginx") == seedlab.SEED_BGP_IP, timeout=60,
                       what="EXTERNAL-IP 198.51.100.1")
        show(kubectl + ["get", "service", "nginx"])
        prefix = seedlab.SEED_BGP_IP + "/32"
        netns.wait_for(lambda: seedlab.bird_next_hops(router, prefix) == set(lab.node_ips), timeout=60,
                       what="a route from every node in BIRD")
        netns.wait_for(lambda: len(lab.router.kernel_routes().get(prefix, [])) == 3, timeout=20,
                       what="the ECMP route in the router's kernel")
        show(["birdc", "-s", router.sock, "show", "route", prefix])
        show(["ip", "netns", "exec", lab.router.name, "ip", "route", "show", prefix])
        counts = lab.client.probe(seedlab.SEED_BGP_IP, flows=300)
        print("  300 client flows to 198.51.100.1:8080 answered by: "
              + ", ".join(f"{n} {counts.get(n, 0)}" for n in names)
              + (f", unanswered {counts['<none>']}" if counts.get("<none>") else ""), flush=True)
    finally:
        for ns, proc in reversed(procs):
            if ns is not None:
                ns.stop(proc)
            elif proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=10)
        for b in birds:
            b.stop()
        if bridge is not None:
            bridge.close()
        for ns in reversed(created):
            ns.close()
        cluster_fixture.cluster_down(state)
        print("  lab and cluster stopped", flush=True)


def main() -> int:
    if os.geteuid() != 0:
        print("demo: run as root (network namespaces, raw sockets)", file=sys.stderr)
        return 1
    if not INGOT.is_file():
        print(f"demo: {INGOT} not built; run `make build`", file=sys.stderr)
        return 1
    netns.reap_stale_namespaces()
    with tempfile.TemporaryDirectory(prefix="ingot-demo.") as tmp:
        work = pathlib.Path(tmp)
        step_build()
        step_config(work)
        step_bgp_seed(work)
        step_l2(work)
    banner("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
