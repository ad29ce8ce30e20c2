"""System test: the API server stopped for 30 s withdraws nothing (issue 7).

One lab for both modes: the seed's BGP lab (seedlab.py; BIRD 172.30.8.35/AS 64500, three node namespaces on
172.30.8.0/24) with two pools, the seed's BGP pool 198.51.100.0/24 and a layer-2 pool 172.30.8.240/28 on the
node LAN. Service `web` takes the BGP pool (BIRD holds a route from every node), Service `lan` the layer-2
pool (the node MetalLB's hash elects answers ARP on the node LAN).

Then kube-apiserver is stopped for 30 s (tools/cluster stop-apiserver through the cluster fixture; etcd keeps
running): every second BIRD must still hold the route from each node and the elected node must still answer
ARP; once mid-way the client's flows must reach every node; every speaker must say so
(ingot_speaker_api_server_reachable 0, "API server unreachable" in its log). After the restart the speakers
report the API server reachable again (time printed) and follow changes made after it: a community added to
the BGP pool's advertisement reaches BIRD on every node's route, and the deleted `lan` Service is no longer
answered by anyone.

Run: INGOT_BIN=<build>/ingot /usr/bin/python3 -m pytest tests/system/test_speaker_api_outage.py (as root).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from fixtures.netns import Node, wait_for

sys.path.insert(0, str(Path(__file__).resolve().parent / "data" / "speaker"))
import seedlab  # noqa: E402
from seedk8s import endpoint_slice, ingress_ips, legacy_config, service  # noqa: E402
from seedk8s import no_leftover_lb_services, seed  # noqa: E402,F401  (fixtures)

OUTAGE = 30.0       # seconds without kube-apiserver (issue 7)
L2_IP = "172.30.8.240"

CONFIG = f"""
peers:
- my-asn: {seedlab.SEED_NODE_ASN}
  peer-asn: {seedlab.SEED_ROUTER_ASN}
  peer-address: {seedlab.SEED_ROUTER_IP}
address-pools:
- name: bgp
  protocol: bgp
  avoid-buggy-ips: true
  addresses:
  - {seedlab.SEED_BGP_POOL}
{{advertisements}}- name: l2
  protocol: layer2
  addresses:
  - {L2_IP}/28
"""


def config(advertisements: str = "") -> str:
    return legacy_config(CONFIG.format(advertisements=advertisements))


def reachable(seed, name: str) -> float | None:
    return seedlab.metric_value(seedlab.scrape(seed.nodes[name])[1], "ingot_speaker_api_server_reachable")


def test_api_server_away_30s_withdraws_nothing(seed, topology, bird):
    lab = seedlab.build_bgp_seed_lab(topology, Node, nodes=3)
    router = seedlab.start_bird(bird, lab.router)
    names = [f"node{i}" for i in range(1, 4)]
    macs = {}
    for name, ns in zip(names, lab.nodes):
        seed.add_node(name, ns)
        macs[name] = ns.mac()
        ns.serve_vip(seedlab.SEED_BGP_IP)
    seed.start_controller()
    for name in names:
        seed.start_speaker(name)
    seed.cluster.apply(config())
    eps = [(n, f"10.244.{i}.5", True) for i, n in enumerate(names, 1)]
    for svc, pool in (("web", "bgp"), ("lan", "l2")):
        seed.cluster.apply(service(seed.ns, svc, pool=pool))
        seed.cluster.apply(endpoint_slice(seed.ns, svc, eps))
    wait_for(lambda: ingress_ips(seed.cluster, seed.ns, "web") == [seedlab.SEED_BGP_IP], timeout=30,
             what="web gets 198.51.100.1")
    wait_for(lambda: ingress_ips(seed.cluster, seed.ns, "lan") == [L2_IP], timeout=30,
             what=f"lan gets {L2_IP}")
    prefix = seedlab.SEED_BGP_IP + "/32"
    owner = seedlab.l2_owner(names, L2_IP)
    wait_for(lambda: seedlab.bird_next_hops(router, prefix) == set(lab.node_ips), timeout=45,
             what="a route from every node in BIRD")
    wait_for(lambda: seedlab.arping_macs(lab.router, L2_IP) == {macs[owner]}, timeout=20,
             what=f"ARP answer from the elected node {owner}")
    wait_for(lambda: all(reachable(seed, n) == 1 for n in names), timeout=10,
             what="every speaker reporting the API server reachable")

    # 30 s without the API server: nothing is withdrawn, and every speaker says it lost the API server.
    said_unreachable: set[str] = set()
    checks = 0
    seed.cluster.stop_apiserver()
    stopped = time.monotonic()
    try:
        probed = False
        while time.monotonic() - stopped < OUTAGE:
            assert seedlab.bird_next_hops(router, prefix) == set(lab.node_ips), \
                f"a route left BIRD {time.monotonic() - stopped:.1f} s into the outage"
            assert seedlab.arping_macs(lab.router, L2_IP) == {macs[owner]}, \
                f"ARP for {L2_IP} not answered by {owner} {time.monotonic() - stopped:.1f} s into the outage"
            said_unreachable |= {n for n in names if reachable(seed, n) == 0}
            if not probed and time.monotonic() - stopped > OUTAGE / 2:
                counts = lab.client.probe(seedlab.SEED_BGP_IP, flows=48)
                assert set(counts) == set(names), f"flows mid-outage: {dict(counts)}"
                probed = True
            checks += 1
            time.sleep(0.5)
    finally:
        checked = time.monotonic()
        seed.cluster.start_apiserver()
    restarted = time.monotonic()
    print(f"API server away {restarted - stopped:.1f} s (start-apiserver took {restarted - checked:.1f} s): "
          f"{checks} checks of BIRD and ARP in the first {checked - stopped:.1f} s, all held")
    assert probed
    assert said_unreachable == set(names), f"only {sorted(said_unreachable)} reported the API server away"
    for n in names:
        assert "API server unreachable" in seed.speaker_log(n), f"{n} did not log the outage"

    wait_for(lambda: all(reachable(seed, n) == 1 for n in names), timeout=60, interval=0.5,
             what="every speaker reporting the API server reachable again")
    print(f"speakers report the API server reachable {time.monotonic() - restarted:.1f} s after its restart")

    # Changes after the restart are followed: a community on the BGP advertisement, a deleted Service.
    t0 = time.monotonic()
    seed.cluster.apply(config("  bgp-advertisements:\n  - communities: [\"64500:100\"]\n"))
    seed.cluster.kubectl("delete", "service", "lan", "-n", seed.ns)
    wait_for(lambda: len(seedlab.bird_route(router, prefix)) == 3 and
             all((64500, 100) in r["communities"] for r in seedlab.bird_route(router, prefix)),
             timeout=30, what="community 64500:100 on every node's route after the restart")
    wait_for(lambda: not seedlab.arping_macs(lab.router, L2_IP), timeout=20,
             what=f"nobody answering ARP for {L2_IP} after lan was deleted")
    assert not seedlab.arping_macs(lab.router, L2_IP, count=2, wait=2)
    print(f"changes after the restart followed in {time.monotonic() - t0:.1f} s")
