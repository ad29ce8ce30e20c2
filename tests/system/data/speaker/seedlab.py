"""The seed's labs (shared by tests/system/test_speaker.py, test_run.py and tools/demo.py).

BGP: the seed's router address 172.30.8.35 and AS 64500 on a node LAN 172.30.8.0/24 that exists only
inside the lab's namespaces; nodes 172.30.8.11.. (AS 64501, as bgp.yml says); a client behind the router on
203.0.113.0/24 (the seed's pool 198.51.100.0/24 is the service range, so the shared fixtures' client LAN
cannot be used). L2: the seed's pool 192.168.1.240/28 on a LAN 192.168.1.0/24 inside the lab only.

Speakers in node namespaces reach the host's kube-apiserver (bound to loopback only) through
apiproxy.py: a forwarder in the host namespace listens on a unix socket and connects to 127.0.0.1:PORT, and
one in each node namespace listens on that namespace's 127.0.0.1:PORT and connects to the unix socket. No
link between the lab and the host's network exists, and the API server needs no --bind address.
"""
from __future__ import annotations

import hashlib
import ipaddress
import re
import select
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
PYTHON = "/usr/bin/python3"
APIPROXY = HERE / "apiproxy.py"

SEED_ROUTER_IP = "172.30.8.35"
SEED_ROUTER_ASN = 64500
SEED_NODE_ASN = 64501
SEED_NODE_LAN_V4 = "172.30.8.0/24"
SEED_NODE_LAN_V6 = "2001:db8:830::/64"
SEED_CLIENT_LAN_V4 = "203.0.113.0/24"
SEED_CLIENT_LAN_V6 = "2001:db8:831::/64"
SEED_BGP_POOL = "198.51.100.0/24"
SEED_BGP_IP = "198.51.100.1"          # avoid-buggy-ips: .0 is skipped
SEED_L2_LAN_V4 = "192.168.1.0/24"
SEED_L2_LAN_V6 = "2001:db8:832::/64"
SEED_L2_IP = "192.168.1.240"


def wait_ready(proc: subprocess.Popen, what: str, timeout: float = 10.0) -> None:
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    if not ready or proc.stdout.readline().strip() != b"ready":
        raise RuntimeError(f"{what} did not start")


@dataclass
class BgpSeedLab:
    router: object
    client: object
    nodes: list
    node_ips: list[str]


@dataclass
class L2SeedLab:
    client: object
    nodes: list
    node_ips: list[str]


def build_bgp_seed_lab(topo, node_cls, nodes: int = 3) -> BgpSeedLab:
    """Router (172.30.8.35) between the node LAN and the client LAN; nodes route through it."""
    node_lan = topo.add_lan("seednodes", SEED_NODE_LAN_V4, SEED_NODE_LAN_V6)
    client_lan = topo.add_lan("seedclients", SEED_CLIENT_LAN_V4, SEED_CLIENT_LAN_V6)
    router = topo.namespace("router")
    topo.attach(router, node_lan, 35, "eth0")
    topo.attach(router, client_lan, 1, "eth1")
    for key, val in (("net.ipv4.ip_forward", 1), ("net.ipv4.fib_multipath_hash_policy", 1)):
        router.sysctl(key, val)
    client = topo.namespace("client")
    topo.attach(client, client_lan, 2)
    client.add_route(SEED_BGP_POOL, client_lan.v4_host(1))
    members, ips = [], []
    for i in range(1, nodes + 1):
        node = topo.namespace(f"node{i}", node_cls)
        topo.attach(node, node_lan, 10 + i)
        node.add_route("default", SEED_ROUTER_IP)
        members.append(node)
        ips.append(node_lan.v4_host(10 + i))
    return BgpSeedLab(router, client, members, ips)


def build_l2_seed_lab(topo, node_cls, nodes: int = 3) -> L2SeedLab:
    lan = topo.add_lan("seedlan", SEED_L2_LAN_V4, SEED_L2_LAN_V6)
    client = topo.namespace("client")
    topo.attach(client, lan, 2)
    members, ips = [], []
    for i in range(1, nodes + 1):
        node = topo.namespace(f"node{i}", node_cls)
        topo.attach(node, lan, 10 + i)
        members.append(node)
        ips.append(lan.v4_host(10 + i))
    return L2SeedLab(client, members, ips)


def start_bird(bird_factory, router, **kwargs):
    """BIRD on the router: AS 64500, passive, any node of the node LAN as AS 64501, ECMP to the kernel."""
    from fixtures.routers import Peer  # tests/system is on sys.path in tests and in the demo
    return bird_factory(router, asn=SEED_ROUTER_ASN, router_id=SEED_ROUTER_IP,
                        peers=[Peer(SEED_NODE_LAN_V4, SEED_NODE_ASN)], passive=True, **kwargs)


def l2_owner(nodes: list[str], ip: str) -> str:
    """MetalLB's L2 election: the lowest sha256("<node>#<ip>")."""
    return min(nodes, key=lambda n: hashlib.sha256(f"{n}#{ip}".encode()).digest())


_ARPING_REPLY = re.compile(r"reply from (\S+) \[([0-9A-Fa-f:]+)\]")


def arping_macs(client, ip: str, count: int = 1, wait: int = 1) -> set[str]:
    """MACs that answered ARP for ip (iputils arping, from the client's eth0; wait: whole seconds)."""
    r = client.run(["arping", "-c", str(count), "-w", str(wait), "-I", "eth0", ip], check=False,
                   timeout=wait + 5)
    return {m.group(2).lower() for m in _ARPING_REPLY.finditer(r.stdout)}


def bird_route(bird, prefix: str) -> list[dict]:
    return bird.routes().get(prefix, [])


def bird_next_hops(bird, prefix: str) -> set[str]:
    """Next hops BIRD learned for prefix (one route per node)."""
    return {r["next_hop"] or r["via"] for r in bird_route(bird, prefix)}


class ApiBridge:
    """apiproxy.py: the host end (unix socket -> 127.0.0.1:port) and one end per node namespace."""

    def __init__(self, cluster, workdir: Path):
        self.cluster = cluster
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.sock = str(self.workdir / "api.sock")
        self.host_proc = subprocess.Popen([PYTHON, str(APIPROXY), "unix-to-tcp", self.sock,
                                           str(cluster.port)], stdout=subprocess.PIPE,
                                          stdin=subprocess.DEVNULL)
        wait_ready(self.host_proc, "host API forwarder")

    def attach(self, ns) -> str:
        """Starts the namespace's forwarder and returns a kubeconfig usable inside ns."""
        proc = ns.popen([PYTHON, str(APIPROXY), "tcp-to-unix", str(self.cluster.port), self.sock],
                        stdout=subprocess.PIPE)
        wait_ready(proc, f"API forwarder in {ns.label}")
        return self.cluster.write_kubeconfig(self.workdir / f"kubeconfig-{ns.label}")

    def close(self) -> None:
        if self.host_proc.poll() is None:
            self.host_proc.terminate()
            try:
                self.host_proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.host_proc.kill()
                self.host_proc.wait(timeout=5)


def node_object(name: str, ready: str | None = None, address: str | None = None) -> str:
    """A Node; ready: its Ready condition; address: its status.addresses InternalIP (the failure
    detector's member address)."""
    status = ""
    if ready or address:
        status = "status:\n"
    if ready:
        status += f"""  conditions:
  - type: Ready
    status: "{ready}"
"""
    if address:
        status += f"""  addresses:
  - type: InternalIP
    address: "{address}"
"""
    return f"""apiVersion: v1
kind: Node
metadata:
  name: {name}
  labels:
    kubernetes.io/hostname: {name}
{status}"""


def lb_service(name: str, namespace: str = "default", selector: bool = True) -> str:
    """A type LoadBalancer Service on port 80 (with the selector app=<name> a Deployment would match),
    as `ingot run`'s files or kubectl apply take it."""
    sel = f"""  selector:
    app: {name}
""" if selector else ""
    return f"""apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: {namespace}
spec:
  type: LoadBalancer
  ports:
  - name: http
    port: 80
    protocol: TCP
{sel}"""


def endpoint_slice(namespace: str, service: str, nodes: list[str], ips: list[str]) -> str:
    """An EndpointSlice with one ready endpoint per node, as the Deployment's pods would give."""
    eps = "".join(f"""- addresses: ["{ip}"]
  conditions: {{ready: true}}
  nodeName: {node}
""" for node, ip in zip(nodes, ips))
    return f"""apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: {service}-seed
  namespace: {namespace}
  labels:
    kubernetes.io/service-name: {service}
addressType: IPv4
ports:
- name: http
  port: 80
  protocol: TCP
endpoints:
{eps}"""


def set_node_ready(cluster, name: str, status: str) -> None:
    """The Node-conditions failure signal: Ready=status through the status subresource."""
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    patch = ('{"status":{"conditions":[{"type":"Ready","status":"%s","reason":"IngotTest",'
             '"lastHeartbeatTime":"%s","lastTransitionTime":"%s"}]}}' % (status, now, now))
    cluster.kubectl("patch", "node", name, "--subresource=status", "--type=merge", "-p", patch)


METRICS_PORT = 9473


def scrape(ns, path: str = "/metrics") -> tuple[int, str]:
    """GET http://127.0.0.1:METRICS_PORT/path inside ns: (status, body)."""
    code = ("import urllib.request, urllib.error, sys\n"
            "try:\n"
            f"    r = urllib.request.urlopen('http://127.0.0.1:{METRICS_PORT}{path}', timeout=5)\n"
            "    print(r.status); print(r.read().decode())\n"
            "except urllib.error.HTTPError as e:\n"
            "    print(e.code); print(e.read().decode())\n")
    out = ns.run([PYTHON, "-c", code], check=False, timeout=15).stdout
    status, _, body = out.partition("\n")
    return (int(status) if status.strip().isdigit() else 0), body


def metric_value(body: str, name: str, **labels) -> float | None:
    """The value of the first sample of name whose labels include labels."""
    for line in body.splitlines():
        if not line.startswith(name) or line.startswith("#"):
            continue
        head, _, value = line.rpartition(" ")
        if head.split("{")[0] != name:
            continue
        if all(f'{k}="{v}"' in head for k, v in labels.items()):
            return float(value)
    return None


def external_ip(cluster, namespace: str, service: str) -> str:
    """EXTERNAL-IP as `kubectl get service` prints it."""
    out = cluster.kubectl("get", "service", service, "-n", namespace, "--no-headers").stdout.split()
    return out[3] if len(out) > 3 else ""


if __name__ == "__main__":
    sys.exit("a helper module, not a program")
