"""The Kubernetes side of the speaker system tests (tests/system/test_speaker*.py), shared by them.

`Seed` runs `ingot controller` on the host and `ingot speaker` in node namespaces (through seedlab.ApiBridge)
and undoes everything at teardown; the fixtures `seed` and `no_leftover_lb_services` are imported by each
test module. Beside it: what those tests read from the network in more than one file (IPv6 neighbour
discovery, link-local next hops, BIRD's session timers, Services' ingress IPs) and the objects they create
(Services with a pool and families, EndpointSlices of either address type).
"""
from __future__ import annotations

import ipaddress
import json
import re
import subprocess
import time
from pathlib import Path

import pytest

import seedlab

DATA = Path(__file__).resolve().parents[1]


class Seed:
    """The Kubernetes side of one test: controller, speakers, the seed's objects; all undone at teardown."""

    def __init__(self, cluster, ingot_bin, workdir: Path, testns: str):
        self.cluster, self.bin, self.workdir, self.ns = cluster, str(ingot_bin), workdir, testns
        self.bridge = seedlab.ApiBridge(cluster, workdir / "api")
        self.controller = None
        self.speakers: dict[str, subprocess.Popen] = {}
        self.nodes: dict[str, object] = {}
        self.created_nodes: list[str] = []
        cluster.kubectl("create", "namespace", "metallb-system", check=False)

    def start_controller(self):
        log = open(self.workdir / "controller.log", "ab")
        self.controller = subprocess.Popen([self.bin, "controller", "--kubeconfig", self.cluster.kubeconfig,
                                            "--log-level", "debug"], stdout=log, stderr=subprocess.STDOUT,
                                           stdin=subprocess.DEVNULL)
        log.close()

    def add_node(self, name: str, ns, address: str | None = None) -> None:
        """The Node object; with address, its status.addresses InternalIP (the failure detector's member
        address), set through the status subresource as a kubelet would."""
        self.cluster.apply(seedlab.node_object(name, address=address) if address else seedlab.node_object(name))
        if address and not (self.cluster.get_json("node", name).get("status") or {}).get("addresses"):
            self.cluster.kubectl("patch", "node", name, "--subresource=status", "--type=merge", "-p",
                                 json.dumps({"status": {"addresses": [{"type": "InternalIP", "address": address}]}}))
        self.created_nodes.append(name)
        self.nodes[name] = ns
        ns.kubeconfig = self.bridge.attach(ns)

    def start_speaker(self, name: str, *args: str) -> subprocess.Popen:
        ns = self.nodes[name]
        proc = ns.popen([self.bin, "speaker", "--node-name", name, "--kubeconfig", ns.kubeconfig,
                         "--log-level", "debug", "--metrics-addr", f"127.0.0.1:{seedlab.METRICS_PORT}", *args],
                        log=f"speaker-{name}.log")
        self.speakers[name] = proc
        return proc

    def conditions(self) -> dict:
        """Each created Node's status.conditions."""
        return {n: (self.cluster.get_json("node", n).get("status") or {}).get("conditions")
                for n in self.created_nodes}

    def speaker_log(self, name: str) -> str:
        path = self.nodes[name].workdir / f"speaker-{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def close(self) -> None:
        for name, proc in self.speakers.items():
            self.nodes[name].stop(proc)
        if self.controller and self.controller.poll() is None:
            self.controller.terminate()
            try:
                self.controller.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.controller.kill()
                self.controller.wait()
        self.bridge.close()
        self.cluster.kubectl("delete", "configmap", "config", "-n", "metallb-system", "--ignore-not-found",
                             check=False)
        for n in self.created_nodes:
            self.cluster.kubectl("delete", "node", n, "--ignore-not-found", "--wait=false", check=False)


@pytest.fixture(scope="module", autouse=True)
def no_leftover_lb_services(cluster):
    """Services other test files left in their deleted namespaces would hold the seed's addresses
    (198.51.100.1, 192.168.1.240): remove them, as a real cluster's namespace deletion would."""
    cluster.clear_deleted_test_namespaces()
    yield


@pytest.fixture
def seed(cluster, ingot_bin, tmp_path, testns):
    s = Seed(cluster, ingot_bin, tmp_path, testns)
    try:
        yield s
    finally:
        s.close()


def legacy_config(body: str) -> str:
    """The MetalLB ConfigMap metallb-system/config with BODY (the `config:` YAML) indented under it."""
    text = "".join(f"    {line}\n" if line else "\n" for line in body.strip("\n").splitlines())
    return ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  namespace: metallb-system\n  name: config\n"
            f"data:\n  config: |\n{text}")


def service(namespace: str, name: str, *, pool: str | None = None, families: list[str] | None = None,
            local: bool = False, port: int = 80) -> str:
    """A LoadBalancer Service; pool: metallb.universe.tf/address-pool; families: spec.ipFamilies
    (two means RequireDualStack)."""
    meta = f"  name: {name}\n  namespace: {namespace}\n"
    if pool:
        meta += f"  annotations:\n    metallb.universe.tf/address-pool: {pool}\n"
    spec = "  type: LoadBalancer\n"
    if local:
        spec += "  externalTrafficPolicy: Local\n"
    if families:
        policy = "RequireDualStack" if len(families) > 1 else "SingleStack"
        spec += f"  ipFamilyPolicy: {policy}\n  ipFamilies: [{', '.join(families)}]\n"
    spec += (f"  ports:\n  - name: http\n    port: {port}\n    protocol: TCP\n"
             f"  selector:\n    app: {name}\n")
    return f"apiVersion: v1\nkind: Service\nmetadata:\n{meta}spec:\n{spec}"


def endpoint_slice(namespace: str, svc: str, endpoints: list[tuple[str, str, bool]],
                   address_type: str = "IPv4", suffix: str = "seed") -> str:
    """An EndpointSlice of svc: endpoints are (node, address, ready); a not-ready one is also not serving."""
    eps = "".join(f"""- addresses: ["{ip}"]
  conditions: {{ready: {str(ready).lower()}, serving: {str(ready).lower()}}}
  nodeName: {node}
""" for node, ip, ready in endpoints) or "[]\n"
    return f"""apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: {svc}-{suffix}
  namespace: {namespace}
  labels:
    kubernetes.io/service-name: {svc}
addressType: {address_type}
ports:
- name: http
  port: 80
  protocol: TCP
endpoints:
{eps}"""


def ingress_ips(cluster, namespace: str, name: str) -> list[str]:
    """status.loadBalancer.ingress[].ip of the Service ([] when it has none or is gone)."""
    r = cluster.kubectl("get", "service", name, "-n", namespace, "-o", "json", check=False)
    if r.returncode != 0:
        return []
    ingress = json.loads(r.stdout).get("status", {}).get("loadBalancer", {}).get("ingress") or []
    return [i["ip"] for i in ingress if i.get("ip")]


def by_family(ips: list[str]) -> dict[int, str]:
    return {ipaddress.ip_address(ip).version: ip for ip in ips}


_NDISC_MAC = re.compile(r"Target link-layer address:\s*([0-9A-Fa-f:]+)")


def ndisc_macs(client, ip: str, wait_ms: int = 1000, tries: int = 1) -> set[str]:
    """MACs that answered a Neighbor Solicitation for ip from the client's eth0 (ndisc6 -m waits for all)."""
    r = client.run(["ndisc6", "-n", "-m", "-r", str(tries), "-w", str(wait_ms), ip, "eth0"], check=False,
                   timeout=tries * wait_ms / 1000 + 5)
    return {m.lower() for m in _NDISC_MAC.findall(r.stdout)}


def link_local(ns, dev: str = "eth0") -> str:
    """The fe80:: address of ns's dev (BIRD installs IPv6 routes learned on a link via the peer's)."""
    for a in ns.addrs(dev):
        addr = ipaddress.ip_interface(a).ip
        if addr.version == 6 and addr.is_link_local:
            return str(addr)
    raise AssertionError(f"{ns.label} has no link-local address on {dev}: {ns.addrs(dev)}")


def bird_hold_times(bird) -> dict[str, int]:
    """Negotiated hold time of each Established BGP protocol, from `show protocols all` ("Hold timer: x/3")."""
    out = bird.birdc("show protocols all").stdout
    result, name = {}, None
    for line in out.splitlines():
        head = re.match(r"^(\S+)\s+BGP\s", line)
        if head:
            name = head.group(1)
            continue
        m = re.search(r"Hold timer:\s+\S+/(\d+)", line)
        if m and name:
            result[name] = int(m.group(1))
    return result


def kernel_gateways(router, prefix: str) -> set[str]:
    family = ipaddress.ip_network(prefix).version
    return {h["gateway"] for h in router.kernel_routes(family).get(prefix, [])}


def measure(predicate, timeout: float, interval: float = 0.02, what: str = "condition") -> float:
    """Seconds until predicate() is true, polled every interval; fails after timeout."""
    t0 = time.monotonic()
    while not predicate():
        if time.monotonic() - t0 > timeout:
            raise TimeoutError(f"timed out after {timeout:.1f}s waiting for {what}")
        time.sleep(interval)
    return time.monotonic() - t0
