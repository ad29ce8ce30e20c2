"""System test: node failure in BGP mode with `ingot controller` and `ingot speaker` (issue 7).

The seed's BGP lab (seedlab.py: BIRD 172.30.8.35/AS 64500, three node namespaces, a client behind the
router), bgp.yml and the nginx Service. Two ways a node fails, each measured from the failure until BIRD
drops that node's next hop:
The config (bgp.yml with hold-time 3s on the peer; BIRD shows 3 s negotiated on every session) makes the
hold timer short enough to wait for.
- kill -9 of a speaker: the node's kernel closes the TCP connection, BIRD sees it at once, before the hold
  timer (2-3 s after the last keepalive) could; asserted under 1.5 s.
- a cut link (the node's eth0 set down in its namespace, its speaker still running): nothing tells BIRD,
  only its hold timer does: 2-3 s after the last keepalive (sent every second, later on a loaded machine).
  The route must stay at least 0.5 s (a kill -9 takes some 0.03 s: it is the hold timer that removes it)
  and go within 3 s + 4 s margin.
After each failure the client's flows all reach the remaining nodes; the killed speaker, restarted, and the
cut link, restored, bring their routes back. Finally the deleted Service is withdrawn everywhere: no route
in BIRD or in the router's kernel, and no node counts an announced prefix any more.

Run: INGOT_BIN=<build>/ingot /usr/bin/python3 -m pytest tests/system/test_speaker_bgp_failover.py (as root).
"""
from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

from fixtures.netns import Node, wait_for

sys.path.insert(0, str(Path(__file__).resolve().parent / "data" / "speaker"))
import seedlab  # noqa: E402
from seedk8s import DATA, kernel_gateways, measure, bird_hold_times  # noqa: E402
from seedk8s import no_leftover_lb_services, seed  # noqa: E402,F401  (fixtures)

HOLD = 3          # seconds, the peer's hold-time in the config
KILL_LIMIT = 1.5  # kill -9 until BIRD drops the next hop; the hold timer would take 2-3 s


def assert_all_answered(counts, nodes: list[str]) -> None:
    assert set(counts) == set(nodes), f"flows reached {dict(counts)}, expected exactly {nodes}"


def test_bgp_node_failure(seed, topology, bird):
    lab = seedlab.build_bgp_seed_lab(topology, Node, nodes=3)
    router = seedlab.start_bird(bird, lab.router)
    names = [f"node{i}" for i in range(1, 4)]
    ip = dict(zip(names, lab.node_ips))
    for name, ns in zip(names, lab.nodes):
        seed.add_node(name, ns)
        ns.serve_vip(seedlab.SEED_BGP_IP)
    seed.start_controller()
    for name in names:
        seed.start_speaker(name)
    # The seed's bgp.yml with a short hold time on its peer: BIRD (hold time 240 s) negotiates it.
    seed.cluster.apply((DATA / "bgp.yml").read_text().replace(
        "      peer-address: 172.30.8.35\n", f"      peer-address: 172.30.8.35\n      hold-time: {HOLD}s\n"))
    seed.cluster.apply((DATA / "nginx.yml").read_text(), namespace=seed.ns)
    seed.cluster.apply(seedlab.endpoint_slice(seed.ns, "nginx", names, ["10.244.1.5", "10.244.2.5",
                                                                        "10.244.3.5"]))
    prefix = seedlab.SEED_BGP_IP + "/32"

    def hops():
        return seedlab.bird_next_hops(router, prefix)

    wait_for(lambda: hops() == set(lab.node_ips), timeout=60, what="a route from every node in BIRD")
    assert sorted(bird_hold_times(router).values()) == [HOLD] * 3, bird_hold_times(router)
    wait_for(lambda: kernel_gateways(lab.router, prefix) == set(lab.node_ips), timeout=15,
             what="3-way ECMP route in the router's kernel")

    # kill -9: the TCP session closes with the process, BIRD drops the next hop at once.
    t0 = time.monotonic()
    seed.speakers["node3"].send_signal(signal.SIGKILL)
    measure(lambda: hops() == {ip["node1"], ip["node2"]}, timeout=30, what="node3's route gone")
    dt = time.monotonic() - t0
    print(f"BGP kill -9 of node3's speaker: next hop gone from BIRD after {dt:.3f} s")
    assert dt < KILL_LIMIT, f"{dt:.3f} s from kill -9 to withdrawal"
    wait_for(lambda: kernel_gateways(lab.router, prefix) == {ip["node1"], ip["node2"]}, timeout=10,
             what="node3 gone from the kernel's ECMP route")
    assert_all_answered(lab.client.probe(seedlab.SEED_BGP_IP, flows=48), ["node1", "node2"])

    # The speaker back: its route is back.
    seed.nodes["node3"].stop(seed.speakers["node3"])
    seed.start_speaker("node3")
    wait_for(lambda: hops() == set(lab.node_ips) and sorted(bird_hold_times(router).values()) == [HOLD] * 3,
             timeout=30, what="node3's route back after its restart")
    wait_for(lambda: kernel_gateways(lab.router, prefix) == set(lab.node_ips), timeout=15,
             what="3-way ECMP route again")

    # A cut link: node2's eth0 down, its speaker runs on; BIRD's hold timer removes the route.
    t0 = time.monotonic()
    seed.nodes["node2"].run(["ip", "link", "set", "eth0", "down"])
    measure(lambda: hops() == {ip["node1"], ip["node3"]}, timeout=30, what="node2's route gone")
    dt = time.monotonic() - t0
    print(f"BGP cut link of node2 (hold time {HOLD} s): next hop gone from BIRD after {dt:.3f} s")
    assert 0.5 <= dt <= HOLD + 4, f"{dt:.3f} s from the cut link to withdrawal, hold time {HOLD} s"
    wait_for(lambda: kernel_gateways(lab.router, prefix) == {ip["node1"], ip["node3"]}, timeout=10,
             what="node2 gone from the kernel's ECMP route")
    assert_all_answered(lab.client.probe(seedlab.SEED_BGP_IP, flows=48), ["node1", "node3"])

    # The link back: the session and the route come back.
    seed.nodes["node2"].run(["ip", "link", "set", "eth0", "up"])
    # Setting a link down removes the routes through it.
    seed.nodes["node2"].run(["ip", "route", "replace", "default", "via", seedlab.SEED_ROUTER_IP])
    wait_for(lambda: hops() == set(lab.node_ips), timeout=45, what="node2's route back with its link")
    assert_all_answered(lab.client.probe(seedlab.SEED_BGP_IP, flows=48), names)

    # A deleted Service is withdrawn everywhere.
    seed.cluster.kubectl("delete", "service", "nginx", "-n", seed.ns)
    wait_for(lambda: not seedlab.bird_route(router, prefix), timeout=20, what="route withdrawn from BIRD")
    wait_for(lambda: prefix not in lab.router.kernel_routes(), timeout=10,
             what="route gone from the router's kernel")
    for name in names:
        body = seedlab.scrape(seed.nodes[name])[1]
        assert seedlab.metric_value(body, "metallb_speaker_announced", ip=seedlab.SEED_BGP_IP) in (None, 0), \
            f"{name} still announces {seedlab.SEED_BGP_IP}"
        assert seedlab.metric_value(body, "metallb_bgp_announced_prefixes_total") == 0, \
            f"{name} still counts an announced prefix:\n{body}"
