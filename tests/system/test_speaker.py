"""System tests: the seed end to end with `ingot controller` and `ingot speaker` (issue 7).

A real kube-apiserver, `ingot controller` on the host, `ingot speaker` in each node namespace (reaching the
API server through tests/system/data/speaker/apiproxy.py, see seedlab.py), and the seed's files applied
unchanged: tests/system/data/bgp.yml or l2.yml, then nginx.yml. No kubelet runs, so the test creates the
Node objects and the EndpointSlice the nginx Deployment's pods would give (one ready endpoint per node), and
each node emulates kube-proxy by serving the service IP on lo (Node.serve_vip).

BGP mode: EXTERNAL-IP 198.51.100.1, BIRD (172.30.8.35, AS 64500) holds one route per node and installs a
3-way ECMP route, client flows reach every node; a Service with externalTrafficPolicy Local is announced by
the node with its endpoint only; a configuration change (a community on the advertisement) reaches BIRD;
SIGTERM of one speaker withdraws its route only; a deleted Service is withdrawn everywhere.
L2 mode: the elected node (MetalLB's hash) and only it answers ARP for 192.168.1.240; a Local Service is
answered only by a node with a serving endpoint (not by the node the hash would pick without one; nobody when
its only endpoint stops serving; the hash decides among the nodes with one); kill -9 of the elected
node's speaker plus its Node marked NotReady (the Node-conditions fallback: no SWIM here) moves the IP,
failover time measured and printed; then a cut link (the next owner's eth0 down, its Node NotReady) moves it again;
a deleted Service is withdrawn everywhere.

The other speaker tests: test_speaker_bgp_failover.py (kill -9 and a cut link in BGP mode, hold timer),
test_speaker_ipv6.py (IPv6 and dual-stack in both modes), test_speaker_api_outage.py (the API server away
for 30 s in both modes).

Run: INGOT_BIN=<build>/ingot /usr/bin/python3 -m pytest tests/system/test_speaker.py (as root).
"""
from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

from fixtures.netns import Node, wait_for

sys.path.insert(0, str(Path(__file__).resolve().parent / "data" / "speaker"))
import seedlab  # noqa: E402
from seedk8s import DATA, endpoint_slice  # noqa: E402
from seedk8s import no_leftover_lb_services, seed  # noqa: E402,F401  (fixtures)

LOCAL_SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: local
  namespace: {ns}
spec:
  type: LoadBalancer
  externalTrafficPolicy: Local
  ports:
  - name: http
    port: 80
    protocol: TCP
  selector:
    app: local
"""


def apply_seed(seed, config: str, nodes: list[str], endpoint_ips: list[str]) -> None:
    seed.cluster.apply((DATA / config).read_text())
    seed.cluster.apply((DATA / "nginx.yml").read_text(), namespace=seed.ns)
    seed.cluster.apply(seedlab.endpoint_slice(seed.ns, "nginx", nodes, endpoint_ips))


def test_seed_bgp_mode(seed, topology, bird):
    lab = seedlab.build_bgp_seed_lab(topology, Node, nodes=3)
    router = seedlab.start_bird(bird, lab.router)
    names = [f"node{i}" for i in range(1, 4)]
    for name, ns in zip(names, lab.nodes):
        seed.add_node(name, ns)
        ns.serve_vip(seedlab.SEED_BGP_IP)
    seed.start_controller()
    for name in names:
        seed.start_speaker(name)
    apply_seed(seed, "bgp.yml", names, ["10.244.1.5", "10.244.2.5", "10.244.3.5"])

    # kubectl get service shows the seed's address.
    wait_for(lambda: seedlab.external_ip(seed.cluster, seed.ns, "nginx") == seedlab.SEED_BGP_IP, timeout=30,
             what="EXTERNAL-IP 198.51.100.1")
    print(seed.cluster.kubectl("get", "service", "-n", seed.ns).stdout)

    # BIRD: one route per node, next hop = that node's address; the kernel gets a 3-way ECMP route.
    prefix = seedlab.SEED_BGP_IP + "/32"
    wait_for(lambda: seedlab.bird_next_hops(router, prefix) == set(lab.node_ips), timeout=45,
             what="a route from every node in BIRD")
    wait_for(lambda: {h["gateway"] for h in lab.router.kernel_routes().get(prefix, [])} == set(lab.node_ips),
             timeout=15, what="3-way ECMP route in the router's kernel")

    # Client traffic reaches every node.
    counts = lab.client.probe(seedlab.SEED_BGP_IP, flows=96)
    assert set(counts) == set(names), counts

    # externalTrafficPolicy Local: only the node with an endpoint announces.
    seed.cluster.apply(LOCAL_SERVICE.format(ns=seed.ns))
    seed.cluster.apply(seedlab.endpoint_slice(seed.ns, "local", ["node2"], ["10.244.2.6"]))
    local_ip = wait_for(lambda: seedlab.external_ip(seed.cluster, seed.ns, "local").replace("<pending>", ""),
                        timeout=30, what="an IP for the Local Service")
    wait_for(lambda: seedlab.bird_next_hops(router, local_ip + "/32") == {lab.node_ips[1]}, timeout=20,
             what="the Local Service announced by node2 only")

    # A configuration change is followed: a community on the pool's advertisement.
    seed.cluster.apply((DATA / "bgp.yml").read_text().replace(
        "      - 198.51.100.0/24\n", "      - 198.51.100.0/24\n      bgp-advertisements:\n"
        "      - communities: [\"64500:100\"]\n"))
    wait_for(lambda: all((64500, 100) in r["communities"] for r in seedlab.bird_route(router, prefix))
             and len(seedlab.bird_route(router, prefix)) == 3, timeout=20,
             what="community 64500:100 on every node's route")
    seed.cluster.kubectl("delete", "service", "local", "-n", seed.ns)

    # SIGTERM: that node withdraws, the others stay.
    seed.speakers["node3"].send_signal(signal.SIGTERM)
    assert seed.speakers["node3"].wait(timeout=15) == 0
    wait_for(lambda: seedlab.bird_next_hops(router, prefix) == set(lab.node_ips[:2]), timeout=10,
             what="node3's route withdrawn")

    # A deleted Service is withdrawn everywhere.
    seed.cluster.kubectl("delete", "service", "nginx", "-n", seed.ns)
    wait_for(lambda: not seedlab.bird_route(router, prefix), timeout=20, what="route withdrawn from BIRD")


def test_seed_l2_mode(seed, topology):
    lab = seedlab.build_l2_seed_lab(topology, Node, nodes=3)
    names = [f"node{i}" for i in range(1, 4)]
    macs = {}
    for name, ns in zip(names, lab.nodes):
        seed.add_node(name, ns)
        macs[name] = ns.mac().lower()
        ns.serve_vip(seedlab.SEED_L2_IP)
    seed.start_controller()
    for name in names:
        seed.start_speaker(name)
    apply_seed(seed, "l2.yml", names, ["10.244.1.5", "10.244.2.5", "10.244.3.5"])

    wait_for(lambda: seedlab.external_ip(seed.cluster, seed.ns, "nginx") == seedlab.SEED_L2_IP, timeout=30,
             what="EXTERNAL-IP 192.168.1.240")
    owner = seedlab.l2_owner(names, seedlab.SEED_L2_IP)
    wait_for(lambda: seedlab.arping_macs(lab.client, seedlab.SEED_L2_IP) == {macs[owner]}, timeout=20,
             what=f"ARP answer from the elected node {owner}")
    # Only the owner answers, several requests in a row.
    assert seedlab.arping_macs(lab.client, seedlab.SEED_L2_IP, count=3, wait=2) == {macs[owner]}
    counts = lab.client.probe(seedlab.SEED_L2_IP, flows=16)
    assert set(counts) == {owner}, counts

    # externalTrafficPolicy Local: only a node with a serving endpoint may own the IP. The endpoint goes to a
    # node the hash would not pick: that node answers, the hash's choice does not.
    seed.cluster.apply(LOCAL_SERVICE.format(ns=seed.ns))
    local_ip = wait_for(lambda: seedlab.external_ip(seed.cluster, seed.ns, "local").replace("<pending>", ""),
                        timeout=30, what="an IP for the Local Service")
    hash_choice = seedlab.l2_owner(names, local_ip)
    local_node = next(n for n in names if n != hash_choice)
    seed.cluster.apply(endpoint_slice(seed.ns, "local", [(local_node, "10.244.9.6", True)]))
    wait_for(lambda: seedlab.arping_macs(lab.client, local_ip) == {macs[local_node]}, timeout=20,
             what=f"ARP answer for the Local Service from {local_node} only (the hash picks {hash_choice})")
    # Its only endpoint stops serving (ready and serving false): nobody may own the IP.
    seed.cluster.apply(endpoint_slice(seed.ns, "local", [(local_node, "10.244.9.6", False)]))
    wait_for(lambda: not seedlab.arping_macs(lab.client, local_ip), timeout=15,
             what="no ARP answer for the Local Service without a serving endpoint")
    assert not seedlab.arping_macs(lab.client, local_ip, count=2, wait=2)
    # Serving endpoints on two nodes: the hash decides between those two.
    seed.cluster.apply(endpoint_slice(seed.ns, "local", [(local_node, "10.244.9.6", True),
                                                         (hash_choice, "10.244.9.7", True)]))
    wait_for(lambda: seedlab.arping_macs(lab.client, local_ip) == {macs[hash_choice]}, timeout=20,
             what=f"ARP answer for the Local Service from {hash_choice}, elected among the serving nodes")
    seed.cluster.kubectl("delete", "service", "local", "-n", seed.ns)
    wait_for(lambda: not seedlab.arping_macs(lab.client, local_ip), timeout=15,
             what="the Local Service withdrawn")

    # Node failure: kill -9 of the owner's speaker, its Node marked NotReady (the failure signal without
    # a failure detector); the next node in hash order takes over.
    survivors = [n for n in names if n != owner]
    heir = seedlab.l2_owner(survivors, seedlab.SEED_L2_IP)
    # The client talks to the service IP already: its neighbour entry is what the takeover must change.
    assert lab.client.ping(seedlab.SEED_L2_IP)
    assert lab.client.neigh_lladdr(seedlab.SEED_L2_IP) == macs[owner]
    t0 = time.monotonic()
    seed.speakers[owner].send_signal(signal.SIGKILL)
    seedlab.set_node_ready(seed.cluster, owner, "False")
    t_marked = time.monotonic()
    wait_for(lambda: lab.client.neigh_lladdr(seedlab.SEED_L2_IP) == macs[heir], timeout=20, interval=0.01,
             what=f"the client's neighbour entry moving to {heir} after {owner} failed")
    t1 = time.monotonic()
    print(f"L2 failover {owner} -> {heir}: {t1 - t0:.3f} s from kill -9 "
          f"({t1 - t_marked:.3f} s after the Node was marked NotReady)")
    assert seedlab.arping_macs(lab.client, seedlab.SEED_L2_IP, count=2, wait=2) == {macs[heir]}
    counts = lab.client.probe(seedlab.SEED_L2_IP, flows=16)
    assert set(counts) == {heir}, counts

    # A cut link: the heir's eth0 goes down (its speaker keeps running) and its Node turns NotReady;
    # the last node takes over.
    last = next(n for n in survivors if n != heir)
    t0 = time.monotonic()
    seed.nodes[heir].run(["ip", "link", "set", "eth0", "down"])
    seedlab.set_node_ready(seed.cluster, heir, "False")
    wait_for(lambda: lab.client.neigh_lladdr(seedlab.SEED_L2_IP) == macs[last], timeout=20, interval=0.01,
             what=f"the client's neighbour entry moving to {last} after {heir}'s link was cut")
    print(f"L2 failover {heir} -> {last} after a cut link: {time.monotonic() - t0:.3f} s")
    counts = lab.client.probe(seedlab.SEED_L2_IP, flows=16)
    assert set(counts) == {last}, counts

    # A deleted Service is withdrawn everywhere: nobody answers ARP.
    seed.cluster.kubectl("delete", "service", "nginx", "-n", seed.ns)
    wait_for(lambda: not seedlab.arping_macs(lab.client, seedlab.SEED_L2_IP), timeout=15,
             what="no ARP answer after the Service is deleted")
