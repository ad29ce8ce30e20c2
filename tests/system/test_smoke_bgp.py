"""Smoke tests of the BGP test bed, before ingot uses it.

They prove, with known-good software only, every link of the chain ingot's
BGP tests will rely on: speakers in node namespaces (GoBGP, connecting out
with `port = -1` like ingot's speaker) announce the same service IP with
themselves as next hop; the router (BIRD 2, then FRR) accepts both paths and
installs ONE multipath route in its namespace's kernel; and real traffic from a
client behind the router reaches BOTH nodes, each answering with its name.  If
one of these tests fails, the bed is broken, not ingot.

Timing: GoBGP makes its first outgoing connection after a random 5-10 s (its
minimum connect-retry interval), so each test takes about 10 s.  Every wait is
bounded; namespaces, daemons and responders are removed by fixture teardown.
"""

import ipaddress

ESTABLISH_TIMEOUT = 30  # GoBGP's first connect: 5-10 s, plus margin for a loaded machine
ROUTE_TIMEOUT = 10
FLOWS = 64  # with 2 nodes and an L4 hash, P(one node gets no flow) ~ 2**-63


def start_speakers(lab, gobgp, vip: str, family: int = 4):
    """A GoBGP speaker and a responder for `vip` on every node; each announces
    vip with its own address as next hop."""
    router_addr = lab.node_lan.v4_host(1) if family == 4 else lab.node_lan.v6_host(1)
    host_len = 32 if family == 4 else 128
    speakers = []
    for node, asn in zip(lab.nodes, lab.node_asns):
        own = node.v4 if family == 4 else node.v6
        speaker = gobgp(node, asn=asn, router_id=node.v4, peers=[(router_addr, lab.router_asn)],
                        hold_time=3)
        speaker.announce(f"{vip}/{host_len}", nexthop=own)
        node.serve_vip(vip)
        speakers.append(speaker)
    return speakers


def node_addrs(lab, family: int = 4) -> set[str]:
    return {n.v4 if family == 4 else n.v6 for n in lab.nodes}


def assert_ecmp_traffic(lab, vip: str):
    """Many flows from the client; both nodes must answer, none may be lost."""
    counts = lab.client.probe(vip, flows=FLOWS, proto="udp", timeout=5)
    assert counts["<none>"] == 0, f"unanswered flows: {counts}"
    assert set(counts) == {n.label for n in lab.nodes}, f"flows did not reach every node: {counts}"
    tcp = lab.client.probe(vip, flows=16, proto="tcp", timeout=10)
    assert tcp["<none>"] == 0 and sum(tcp.values()) == 16, f"HTTP flows failed: {tcp}"


def test_bird_installs_ecmp_and_traffic_reaches_both_nodes(bgp_lab, bird, gobgp):
    lab = bgp_lab
    vip = str(lab.service_v4[10])
    prefix = f"{vip}/32"
    router = bird(lab.router, asn=lab.router_asn, router_id=lab.node_lan.v4_host(1),
                  peers=[str(lab.node_lan.v4)], hold_time=3)
    speakers = start_speakers(lab, gobgp, vip)

    router.wait_for(lambda: len(router.established()) == 2, timeout=ESTABLISH_TIMEOUT,
                    what="both BGP sessions Established")
    routes = router.wait_for(lambda: (r := router.routes()).get(prefix, []) and len(r[prefix]) == 2 and r,
                             timeout=ROUTE_TIMEOUT, what=f"two paths for {prefix}")
    assert {r["via"] for r in routes[prefix]} == node_addrs(lab)
    assert sorted(r["as_path"] for r in routes[prefix]) == [[a] for a in lab.node_asns]

    kernel = router.wait_for(lambda: len(router.kernel_routes().get(prefix, [])) == 2 and router.kernel_routes(),
                             timeout=ROUTE_TIMEOUT, what="multipath route in the kernel")
    assert {h["gateway"] for h in kernel[prefix]} == node_addrs(lab)
    assert_ecmp_traffic(lab, vip)

    # A speaker stopping withdraws its path (GoBGP sends a Cease): the router
    # falls back to one next hop and all traffic goes to the other node.
    speakers[0].stop()
    router.wait_for(lambda: [h["gateway"] for h in router.kernel_routes().get(prefix, [])] == [lab.nodes[1].v4],
                    timeout=ROUTE_TIMEOUT, what="route collapsed to node2")
    counts = lab.client.probe(vip, flows=16, timeout=5)
    assert counts == {lab.nodes[1].label: 16}, counts


def test_frr_installs_ecmp_and_traffic_reaches_both_nodes(bgp_lab, frr, gobgp):
    lab = bgp_lab
    vip = str(lab.service_v4[20])
    prefix = f"{vip}/32"
    router = frr(lab.router, asn=lab.router_asn, router_id=lab.node_lan.v4_host(1),
                 peers=[str(lab.node_lan.v4)], hold_time=3)
    start_speakers(lab, gobgp, vip)

    router.wait_for(lambda: len(router.established()) == 2, timeout=ESTABLISH_TIMEOUT,
                    what="both BGP sessions Established")
    routes = router.wait_for(lambda: len(router.routes().get(prefix, [])) == 2 and router.routes(),
                             timeout=ROUTE_TIMEOUT, what=f"two paths for {prefix}")
    assert {p["nexthop"] for p in routes[prefix]} == node_addrs(lab)
    # multipath-relax: different neighbour ASNs, still one best + one multipath
    assert sum(p["best"] for p in routes[prefix]) == 1

    kernel = router.wait_for(lambda: len(router.kernel_routes().get(prefix, [])) == 2 and router.kernel_routes(),
                             timeout=ROUTE_TIMEOUT, what="zebra's multipath route in the kernel")
    assert {h["gateway"] for h in kernel[prefix]} == node_addrs(lab)
    assert_ecmp_traffic(lab, vip)


def test_bird_ipv6_ecmp(bgp_lab, bird, gobgp):
    lab = bgp_lab
    vip = str(lab.service_v6[0x10])
    prefix = f"{ipaddress.ip_address(vip)}/128"
    router = bird(lab.router, asn=lab.router_asn, router_id=lab.node_lan.v4_host(1),
                  peers=[str(lab.node_lan.v6)], hold_time=3)
    start_speakers(lab, gobgp, vip, family=6)

    router.wait_for(lambda: len(router.established()) == 2, timeout=ESTABLISH_TIMEOUT,
                    what="both IPv6 BGP sessions Established")
    kernel = router.wait_for(lambda: len(router.kernel_routes(6).get(prefix, [])) == 2 and router.kernel_routes(6),
                             timeout=ROUTE_TIMEOUT, what="IPv6 multipath route in the kernel")
    assert {h["gateway"] for h in kernel[prefix]} == node_addrs(lab, 6)
    assert_ecmp_traffic(lab, vip)
