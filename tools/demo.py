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
  4. the seed in layer 2 mode: l2.yml and nginx.yml applied unchanged, three speakers elect the
     node that answers ARP for 192.168.1.240 (MetalLB's hash); that node dies (speaker killed,
     link cut) and the failover time -- until client traffic reaches the new node -- is measured
     and printed
"""
from __future__ import annotations

import json
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


def supports_failure_detector() -> bool:
    proc = subprocess.run([str(INGOT), "speaker", "--help"], capture_output=True, text=True)
    return "--ml-secret-key-path" in proc.stdout + proc.stderr


def set_node_address(cl, name: str, ip: str) -> None:
    patch = json.dumps({"status": {"addresses": [{"type": "InternalIP", "address": ip},
                                                 {"type": "Hostname", "address": name}]}})
    cl.kubectl("patch", "node", name, "--subresource=status", "--type=merge", "-p", patch)


def failover_times(replies: list, t_kill: float, old: str, new: str) -> tuple[float | None, float | None]:
    """(kill -> first reply from the new node, last reply from the old node -> first from the new)."""
    first_new = next((t for t, node in replies if node == new and t >= t_kill), None)
    last_old = max((t for t, node in replies if node == old and t <= (first_new or t_kill)), default=None)
    if first_new is None:
        return None, None
    return first_new - t_kill, (first_new - last_old) if last_old is not None else None


def step_l2_seed(work: pathlib.Path, cl) -> None:
    banner("4. The seed in layer 2 mode: three speakers elect one node, and a node dies")
    kubectl = ["kubectl", f"--kubeconfig={cl.kubeconfig}"]
    created: list[netns.Netns] = []
    procs: dict[str, tuple[netns.Netns, subprocess.Popen]] = {}
    others: list[tuple[netns.Netns | None, subprocess.Popen]] = []
    bridge = None
    swim = supports_failure_detector()

    def new_ns(label, cls=netns.Netns):
        ns = cls(label, workdir=work / "l2" / label)
        created.append(ns)
        return ns

    try:
        topo = netns.Topology(new_ns)
        lab = seedlab.build_l2_seed_lab(topo, netns.Node, nodes=3)
        names = [f"node{i}" for i in range(1, 4)]
        macs = {name: ns.mac().lower() for name, ns in zip(names, lab.nodes)}
        by_mac = {mac: name for name, mac in macs.items()}
        print(f"  lab: LAN {seedlab.SEED_L2_LAN_V4}, client {lab.client.v4}, nodes "
              + ", ".join(f"{n} {ip} ({macs[n]})" for n, ip in zip(names, lab.node_ips)), flush=True)
        bridge = seedlab.ApiBridge(cl, work / "l2" / "api")
        subprocess.run(kubectl + ["create", "namespace", "metallb-system"], capture_output=True)
        key_dir = work / "l2" / "memberlist"
        key_dir.mkdir(parents=True)
        (key_dir / "secretkey").write_bytes(os.urandom(16))
        for name, ns, ip in zip(names, lab.nodes, lab.node_ips):
            subprocess.run(kubectl + ["apply", "-f", "-"], input=seedlab.node_object(name), text=True,
                           capture_output=True, check=True)
            set_node_address(cl, name, ip)   # the failure detector's member address, as a kubelet reports it
            ns.serve_vip(seedlab.SEED_L2_IP)
            kcfg = bridge.attach(ns)
            argv = [INGOT, "speaker", "--node-name", name, "--kubeconfig", kcfg]
            if swim:
                argv += ["--ml-secret-key-path", key_dir]
            procs[name] = (ns, ns.popen(argv, log=work / "l2" / f"speaker-{name}.log"))
        log = open(work / "l2" / "controller.log", "ab")
        others.append((None, subprocess.Popen([str(INGOT), "controller", "--kubeconfig", cl.kubeconfig],
                                              stdout=log, stderr=subprocess.STDOUT)))
        log.close()
        show(kubectl + ["apply", "-f", SEED_DATA / "l2.yml"])
        show(kubectl + ["apply", "-f", SEED_DATA / "nginx.yml"])
        subprocess.run(kubectl + ["apply", "-f", "-"], text=True, capture_output=True, check=True,
                       input=seedlab.endpoint_slice("default", "nginx", names,
                                                    ["10.244.1.5", "10.244.2.5", "10.244.3.5"]))
        netns.wait_for(lambda: seedlab.external_ip(cl, "default", "nginx") == seedlab.SEED_L2_IP, timeout=60,
                       what="EXTERNAL-IP 192.168.1.240")
        show(kubectl + ["get", "service", "nginx"])
        answers = netns.wait_for(lambda: seedlab.arping_macs(lab.client, seedlab.SEED_L2_IP), timeout=30,
                                 what="an ARP answer for 192.168.1.240")
        assert len(answers) == 1, f"more than one node answers ARP: {answers}"
        owner = by_mac[answers.pop()]
        expected = seedlab.l2_owner(names, seedlab.SEED_L2_IP)
        print(f"  {owner} answers ARP for {seedlab.SEED_L2_IP} (MetalLB's election picks {expected})", flush=True)
        show(["ip", "netns", "exec", lab.client.name, "arping", "-c", "2", "-w", "3", "-I", "eth0",
              seedlab.SEED_L2_IP])

        heir = seedlab.l2_owner([n for n in names if n != owner], seedlab.SEED_L2_IP)
        probe = lab.client.popen([seedlab.PYTHON, str(seedlab.HERE / "failover_probe.py"), seedlab.SEED_L2_IP,
                                  "--interval-ms", "5"], stdout=subprocess.PIPE)
        seedlab.wait_ready(probe, "the client's probe")
        time.sleep(1.0)
        how = ("the failure detector (SWIM heartbeats between the speakers)" if swim
               else "its Node marked NotReady (this build has no failure detector)")
        print(f"  {owner} dies: its speaker is killed (SIGKILL) and its link cut; the others notice through "
              f"{how} ...", flush=True)
        t_kill = time.monotonic()
        owner_ns, owner_proc = procs[owner]
        owner_proc.kill()
        owner_ns.run(["ip", "link", "set", "eth0", "down"])
        if not swim:
            seedlab.set_node_ready(cl, owner, "False")
        time.sleep(3.0)
        probe.terminate()
        out, _ = probe.communicate(timeout=10)
        result = json.loads(out.decode().strip().splitlines()[-1])
        to_new, gap = failover_times(result["replies"], t_kill, owner, heir)
        if to_new is None:
            raise SystemExit(f"demo: no client traffic reached {heir} within 3 s of {owner}'s death")
        print(f"  client traffic reaches {heir} {to_new * 1000:.0f} ms after {owner} died "
              f"(the client saw no answer for {gap * 1000:.0f} ms)", flush=True)
        show(["ip", "netns", "exec", lab.client.name, "ip", "neigh", "show", seedlab.SEED_L2_IP])
    finally:
        for ns, proc in procs.values():
            ns.stop(proc)
        for _, proc in reversed(others):
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=10)
        if bridge is not None:
            bridge.close()
        for ns in reversed(created):
            ns.close()
        print("  lab stopped", flush=True)


def step_bgp_seed(work: pathlib.Path, cl) -> None:
    banner("3. The seed in BGP mode: controller, three speakers, BIRD as the router")
    created: list[netns.Netns] = []
    procs: list[tuple[netns.Netns | None, subprocess.Popen]] = []
    birds: list[routers.Bird] = []
    bridge = None

    def new_ns(label, cls=netns.Netns):
        ns = cls(label, workdir=work / "bgp" / label)
        created.append(ns)
        return ns

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
        # The layer-2 step reuses the cluster: take the BGP step's objects away.
        kubectl = ["kubectl", f"--kubeconfig={cl.kubeconfig}"]
        for args in (["delete", "-f", SEED_DATA / "nginx.yml"], ["delete", "-f", SEED_DATA / "bgp.yml"],
                     ["delete", "endpointslice", "nginx-seed"], ["delete", "node", "node1", "node2", "node3"]):
            subprocess.run(kubectl + [str(a) for a in args] + ["--ignore-not-found", "--wait=false"],
                           capture_output=True)
        print("  lab stopped", flush=True)


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
        state = work / "cluster"
        print(f"\nstarting etcd + kube-apiserver (tools/cluster up --dir {state}) ...", flush=True)
        cl = cluster_fixture.cluster_up(state)
        try:
            step_bgp_seed(work, cl)
            step_l2_seed(work, cl)
        finally:
            cluster_fixture.cluster_down(state)
            print("cluster stopped", flush=True)
    banner("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
