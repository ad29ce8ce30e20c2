"""System tests: IPv6 and dual-stack Services with `ingot controller` and `ingot speaker` (issue 7).

The seed's labs (seedlab.py) with their IPv6 halves: every LAN there has a 2001:db8:83x::/64 beside its IPv4
prefix. The Services ask for both families (ipFamilyPolicy RequireDualStack, ipFamilies IPv4 and IPv6; the
test cluster's service range is dual-stack), so each gets one address per family from a pool holding both.

BGP: BIRD (AS 64500) has a session per family to each node: 172.30.8.35 and 2001:db8:830::23. The IPv6
address is announced as a /128 over the IPv6 session with each node's global next hop (and its link-local
one, RFC 2545); BIRD's kernel table gets a 3-way ECMP route for it (via the nodes' link-local addresses);
client flows over IPv6 reach every node. Deleting the Service withdraws both routes.
L2: the node MetalLB's hash elects for the IPv6 address, and only it, answers Neighbor Solicitations
(ndisc6 -m from the client), the elected node for the IPv4 one answers ARP; kill -9 of the IPv6 owner's
speaker with its Node marked NotReady moves the IPv6 address to the next node in hash order (the client's
neighbour entry follows, time printed); deleting the Service leaves nobody answering NDP or ARP.

Run: INGOT_BIN=<build>/ingot /usr/bin/python3 -m pytest tests/system/test_speaker_ipv6.py (as root).
"""
from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

from fixtures.netns import Node, wait_for
from fixtures.routers import Peer

sys.path.insert(0, str(Path(__file__).resolve().parent / "data" / "speaker"))
import seedlab  # noqa: E402
from seedk8s import (by_family, endpoint_slice, ingress_ips, kernel_gateways, legacy_config,  # noqa: E402
                     link_local, ndisc_macs, service)
from seedk8s import no_leftover_lb_services, seed  # noqa: E402,F401  (fixtures)

V6_BGP_POOL = "2001:db8:5e::10-2001:db8:5e::1f"
V6_L2_POOL = "2001:db8:832::f0/124"      # on the L2 lab's LAN 2001:db8:832::/64

BGP_CONFIG = f"""
peers:
- my-asn: {seedlab.SEED_NODE_ASN}
  peer-asn: {seedlab.SEED_ROUTER_ASN}
  peer-address: {seedlab.SEED_ROUTER_IP}
- my-asn: {seedlab.SEED_NODE_ASN}
  peer-asn: {seedlab.SEED_ROUTER_ASN}
  peer-address: "2001:db8:830::23"
address-pools:
- name: dual
  protocol: bgp
  avoid-buggy-ips: true
  addresses:
  - {seedlab.SEED_BGP_POOL}
  - {V6_BGP_POOL}
"""

L2_CONFIG = f"""
address-pools:
- name: dual
  protocol: layer2
  addresses:
  - 192.168.1.240/28
  - "{V6_L2_POOL}"
"""


def start_dual_stack_service(seed, names: list[str]) -> dict[int, str]:
    seed.cluster.apply(service(seed.ns, "web", families=["IPv4", "IPv6"]))
    seed.cluster.apply(endpoint_slice(seed.ns, "web", [(n, f"10.244.{i}.5", True)
                                                       for i, n in enumerate(names, 1)]))
    def both():
        ips = by_family(ingress_ips(seed.cluster, seed.ns, "web"))
        return ips if set(ips) == {4, 6} else None

    ips = wait_for(both, timeout=30, what="an address of each family for the dual-stack Service")
    print(seed.cluster.kubectl("get", "service", "-n", seed.ns).stdout)
    return ips


def test_ipv6_bgp_dual_stack(seed, topology, bird):
    lab = seedlab.build_bgp_seed_lab(topology, Node, nodes=3)
    for key, val in (("net.ipv6.conf.all.forwarding", 1), ("net.ipv6.fib_multipath_hash_policy", 1)):
        lab.router.sysctl(key, val)
    router_v6 = lab.router.ifaces["eth0"]["v6"]
    assert router_v6 == "2001:db8:830::23"
    lab.client.add_route("2001:db8:5e::/64", lab.router.ifaces["eth1"]["v6"])
    router = bird(lab.router, asn=seedlab.SEED_ROUTER_ASN, router_id=seedlab.SEED_ROUTER_IP, passive=True,
                  peers=[Peer(seedlab.SEED_NODE_LAN_V4, seedlab.SEED_NODE_ASN),
                         Peer(seedlab.SEED_NODE_LAN_V6, seedlab.SEED_NODE_ASN)])
    names = [f"node{i}" for i in range(1, 4)]
    node_of = {}
    for name, ns in zip(names, lab.nodes):
        ns.add_route("default", router_v6)
        node_of[ns.v6] = node_of[link_local(ns)] = node_of[ns.v4] = name
        seed.add_node(name, ns)
    seed.start_controller()
    for name in names:
        seed.start_speaker(name)
    seed.cluster.apply(legacy_config(BGP_CONFIG))
    ips = start_dual_stack_service(seed, names)
    assert ips[4] == seedlab.SEED_BGP_IP and ips[6] == "2001:db8:5e::10", ips
    for ns in lab.nodes:
        ns.serve_vip(ips[4])
        ns.serve_vip(ips[6])

    v4, v6 = ips[4] + "/32", ips[6] + "/128"
    wait_for(lambda: seedlab.bird_next_hops(router, v6) == {ns.v6 for ns in lab.nodes}, timeout=45,
             what="the /128 from every node over the IPv6 sessions")
    wait_for(lambda: seedlab.bird_next_hops(router, v4) == set(lab.node_ips), timeout=15,
             what="the /32 from every node over the IPv4 sessions")
    # The IPv6 route came over the IPv6 session of each node (BIRD names dynamic sessions peerN_M).
    assert {r["proto"].split("_")[0] for r in seedlab.bird_route(router, v6)} == {"peer2"}, \
        seedlab.bird_route(router, v6)
    assert {r["proto"].split("_")[0] for r in seedlab.bird_route(router, v4)} == {"peer1"}
    gws = wait_for(lambda: len(kernel_gateways(lab.router, v6)) == 3 and kernel_gateways(lab.router, v6),
                   timeout=15, what="a 3-way ECMP route for the /128 in the router's kernel")
    assert {node_of.get(g) for g in gws} == set(names), (gws, node_of)
    print(f"router kernel: {v6} via {sorted(gws)}")
    wait_for(lambda: kernel_gateways(lab.router, v4) == set(lab.node_ips), timeout=15,
             what="a 3-way ECMP route for the /32 in the router's kernel")

    counts6 = lab.client.probe(ips[6], flows=96)
    counts4 = lab.client.probe(ips[4], flows=96)
    print(f"client flows over IPv6: {dict(counts6)}, over IPv4: {dict(counts4)}")
    assert set(counts6) == set(names), counts6
    assert set(counts4) == set(names), counts4

    seed.cluster.kubectl("delete", "service", "web", "-n", seed.ns)
    wait_for(lambda: not seedlab.bird_route(router, v6) and not seedlab.bird_route(router, v4), timeout=20,
             what="both routes withdrawn from BIRD")
    wait_for(lambda: v6 not in lab.router.kernel_routes(6), timeout=10, what="the /128 gone from the kernel")


def test_ipv6_l2_dual_stack(seed, topology):
    lab = seedlab.build_l2_seed_lab(topology, Node, nodes=3)
    names = [f"node{i}" for i in range(1, 4)]
    macs = {}
    for name, ns in zip(names, lab.nodes):
        seed.add_node(name, ns)
        macs[name] = ns.mac()
    seed.start_controller()
    for name in names:
        seed.start_speaker(name)
    seed.cluster.apply(legacy_config(L2_CONFIG))
    ips = start_dual_stack_service(seed, names)
    assert ips[4] == seedlab.SEED_L2_IP and ips[6] == "2001:db8:832::f0", ips
    for ns in lab.nodes:
        ns.serve_vip(ips[6])

    owner6, owner4 = seedlab.l2_owner(names, ips[6]), seedlab.l2_owner(names, ips[4])
    print(f"elected: {ips[6]} -> {owner6}, {ips[4]} -> {owner4}")
    wait_for(lambda: ndisc_macs(lab.client, ips[6]) == {macs[owner6]}, timeout=20,
             what=f"NDP answer from the elected node {owner6} only")
    wait_for(lambda: seedlab.arping_macs(lab.client, ips[4]) == {macs[owner4]}, timeout=20,
             what=f"ARP answer from the elected node {owner4}")
    assert ndisc_macs(lab.client, ips[6], wait_ms=1500, tries=2) == {macs[owner6]}
    counts = lab.client.probe(ips[6], flows=16)
    assert set(counts) == {owner6}, counts

    # The owner of the IPv6 address fails (kill -9, Node NotReady): the next node in hash order answers.
    survivors = [n for n in names if n != owner6]
    heir = seedlab.l2_owner(survivors, ips[6])
    assert lab.client.ping(ips[6])
    assert lab.client.neigh_lladdr(ips[6]) == macs[owner6]
    t0 = time.monotonic()
    seed.speakers[owner6].send_signal(signal.SIGKILL)
    seedlab.set_node_ready(seed.cluster, owner6, "False")
    t_marked = time.monotonic()
    wait_for(lambda: lab.client.neigh_lladdr(ips[6]) == macs[heir], timeout=20, interval=0.01,
             what=f"the client's IPv6 neighbour entry moving to {heir} after {owner6} failed")
    t1 = time.monotonic()
    print(f"IPv6 L2 failover {owner6} -> {heir}: {t1 - t0:.3f} s from kill -9 "
          f"({t1 - t_marked:.3f} s after the Node was marked NotReady)")
    assert ndisc_macs(lab.client, ips[6], wait_ms=1500) == {macs[heir]}
    counts = lab.client.probe(ips[6], flows=16)
    assert set(counts) == {heir}, counts

    seed.cluster.kubectl("delete", "service", "web", "-n", seed.ns)
    wait_for(lambda: not ndisc_macs(lab.client, ips[6]) and not seedlab.arping_macs(lab.client, ips[4]),
             timeout=15, what="no NDP or ARP answer after the Service is deleted")
    assert not ndisc_macs(lab.client, ips[6], wait_ms=1500, tries=2)
