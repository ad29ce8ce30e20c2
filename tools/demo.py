"""The lab demo (`make demo`): the seed article's walk-through, on one machine, with real parts.

It builds the embedded lab out of the same pieces the system tests use (tests/system/fixtures):
a real kube-apiserver + etcd, network namespaces for nodes, a router and a client, and BIRD as
the upstream router. Each step prints what it runs and what it saw. Everything it starts is
stopped by PID and every namespace is deleted at the end, also on failure or Ctrl-C.

Steps that show ingot's own work appear as the components land (docs/ARCHITECTURE.md):
  1. ingot's build and libraries
  2. the seed's MetalLB ConfigMaps (bgp.yml, l2.yml) read, validated and converted to CRDs
  3. the real API server: the seed's nginx Service applied, as `kubectl get service` shows it
  4. layer 2: ingot answers ARP for a service IP in a node namespace; a client resolves it;
     the IP moves to another node and the client's neighbour entry follows
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


def has_command(name: str) -> bool:
    help_text = subprocess.run([str(INGOT), "--help"], text=True, capture_output=True).stdout
    return any(line.split()[:1] == [name] for line in help_text.splitlines())


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


def step_cluster(work: pathlib.Path) -> None:
    banner("3. A real kube-apiserver, and the seed's nginx Service")
    state = work / "cluster"
    print(f"starting etcd + kube-apiserver (tools/cluster up --dir {state}) ...", flush=True)
    started = time.monotonic()
    cl = cluster_fixture.cluster_up(state)
    try:
        print(f"  API server ready at {cl.server} after {time.monotonic() - started:.1f}s", flush=True)
        kubectl = ["kubectl", f"--kubeconfig={cl.kubeconfig}"]
        show(kubectl + ["get", "namespaces"])
        show(kubectl + ["apply", "-f", SEED_DATA / "nginx.yml"])
        show(kubectl + ["get", "service", "nginx"])
        print("  EXTERNAL-IP stays <pending> until `ingot controller` assigns one (the controller issue).")
    finally:
        cluster_fixture.cluster_down(state)
        print("  cluster stopped", flush=True)


def step_l2(work: pathlib.Path) -> None:
    banner("4. Layer 2: ingot answers ARP for a service IP")
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
        if has_command("config"):
            step_config(work)
        step_cluster(work)
        if L2_DRIVER.is_file():
            step_l2(work)
    banner("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
