"""System tests: the speaker's per-IP layer-2 metrics and per-peer BGP message counters (issue 8), under
MetalLB's names, scraped from `ingot run` (standalone) in network namespaces.

Layer 2 (two nodes, the seed's l2.yml, one Service, both Node objects): the client's arping is the truth.
metallb_layer2_requests_received{ip} grows by at least the requests sent and metallb_layer2_responses_sent{ip}
by exactly the replies the client got; the node that does not own the IP has no series for it. Marking the
owner NotReady (files rewritten, SIGHUP) moves the IP: the new owner's metallb_layer2_gratuitous_sent{ip}
reaches the takeover burst (1 + 5 announcements of 2 gratuitous ARP frames each, src/l2/responder.h), the old
owner's series are gone. Deleting the Service removes the new owner's series. ingot drops an IP's series when
it stops owning it; MetalLB keeps them until the process restarts (internal/layer2/stats.go never deletes).

BGP (one node, BIRD, the seed's bgp.yml with hold-time 9s and keepalive-time 3s): metallb_bgp_updates_total{peer}
> 0 and grows when a Service is added; total_sent >= updates_total; total_received counts BIRD's OPEN and
KEEPALIVEs. By type (MetalLB's FRR-mode names, untyped: counters without _total): one OPEN each way, no
NOTIFICATION or ROUTE-REFRESH sent, KEEPALIVEs both ways that grow (BIRD sends one every 9 s / 3 as well);
metallb_bgp_pending_prefixes_total 0 (ingot puts a change in UPDATEs at once).

Both scrapes pass `promtool check metrics` with every metallb_* family typed as test_ops.METALLB_TYPES says.
"""
from __future__ import annotations

import re
import signal
import sys
import time
from pathlib import Path

from fixtures.netns import Node, wait_for

sys.path.insert(0, str(Path(__file__).resolve().parent / "data" / "speaker"))
import seedlab  # noqa: E402
from test_ops import check_metallb_families, metric_types, promtool_clean  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"
L2_FAMILIES = ("metallb_layer2_requests_received", "metallb_layer2_responses_sent",
               "metallb_layer2_gratuitous_sent")
# src/l2/responder.h defaults: the first announcement and 5 more over 2 s; IPv4 sends 2 frames each.
BURST_FRAMES = 2 * (1 + 5)
_REPLY = re.compile(r"reply from (\S+) \[([0-9A-Fa-f:]+)\]")


def start_run(ns, ingot_bin, files: Path, name: str):
    return ns.popen([str(ingot_bin), "run", "--node-name", name, "--log-level", "debug", "--metrics-addr",
                     f"127.0.0.1:{seedlab.METRICS_PORT}", "-f", str(files)], log="run.log")


def scrape_ok(ns) -> str:
    code, body = seedlab.scrape(ns)
    assert code == 200, body
    promtool_clean(body)
    check_metallb_families(body)
    return body


def l2(body: str, ip: str) -> dict[str, float | None]:
    return {name: seedlab.metric_value(body, name, ip=ip) for name in L2_FAMILIES}


def arping_replies(client, ip: str, count: int) -> list[str]:
    """The MAC of every reply the client got to `count` ARP requests for ip (one a second)."""
    r = client.run(["arping", "-c", str(count), "-w", str(count + 3), "-I", "eth0", ip], check=False,
                   timeout=count + 10)
    return [m.group(2).lower() for m in _REPLY.finditer(r.stdout)]


def test_layer2_metrics_per_ip(topology, ingot_bin, tmp_path):
    lab = seedlab.build_l2_seed_lab(topology, Node, nodes=2)
    names = ["node1", "node2"]
    ip = seedlab.SEED_L2_IP
    files = tmp_path / "files"
    files.mkdir()
    (files / "config.yml").write_text((DATA / "l2.yml").read_text())
    (files / "nginx.yml").write_text(seedlab.lb_service("nginx"))
    (files / "nodes.yml").write_text("---\n".join(seedlab.node_object(n) for n in names))
    macs = {n: ns.mac().lower() for n, ns in zip(names, lab.nodes)}
    procs = {n: start_run(ns, ingot_bin, files, n) for n, ns in zip(names, lab.nodes)}
    by_name = dict(zip(names, lab.nodes))
    owner = seedlab.l2_owner(names, ip)
    other = next(n for n in names if n != owner)
    wait_for(lambda: seedlab.arping_macs(lab.client, ip) == {macs[owner]}, timeout=20,
             what=f"ARP answer from the elected node {owner}")

    # Requests and replies: deltas around N arpings from the client.
    n = 4
    before = l2(scrape_ok(by_name[owner]), ip)
    assert all(v is not None for v in before.values()), before
    got = arping_replies(lab.client, ip, n)
    assert got and set(got) == {macs[owner]}, got
    body = scrape_ok(by_name[owner])
    after = l2(body, ip)
    assert after["metallb_layer2_requests_received"] - before["metallb_layer2_requests_received"] >= n, \
        (before, after)
    assert after["metallb_layer2_responses_sent"] - before["metallb_layer2_responses_sent"] == len(got), \
        (before, after, got)
    assert after["metallb_layer2_gratuitous_sent"] >= BURST_FRAMES, after
    types = metric_types(body)
    assert all(types[f] == "untyped" for f in L2_FAMILIES), types   # counters without _total
    # the node that does not own the IP has no series for it
    assert all(v is None for v in l2(scrape_ok(by_name[other]), ip).values())

    # Takeover: the owner goes NotReady; the other node announces with a gratuitous burst.
    (files / "nodes.yml").write_text("---\n".join(
        seedlab.node_object(nm, ready="False" if nm == owner else None) for nm in names))
    for p in procs.values():
        p.send_signal(signal.SIGHUP)
    wait_for(lambda: seedlab.arping_macs(lab.client, ip) == {macs[other]}, timeout=20,
             what=f"ARP answer from {other} after the takeover")
    time.sleep(3)   # the burst spans 2 s
    new = l2(scrape_ok(by_name[other]), ip)
    assert new["metallb_layer2_gratuitous_sent"] >= BURST_FRAMES, new
    assert new["metallb_layer2_responses_sent"] >= 1, new
    wait_for(lambda: all(v is None for v in l2(scrape_ok(by_name[owner]), ip).values()), timeout=10,
             what=f"{owner}'s layer2 series gone after it lost {ip}")

    # The Service goes: the new owner's series go with it.
    (files / "nginx.yml").unlink()
    procs[other].send_signal(signal.SIGHUP)
    wait_for(lambda: all(v is None for v in l2(scrape_ok(by_name[other]), ip).values()), timeout=10,
             what="layer2 series gone after the Service was deleted")
    body = scrape_ok(by_name[other])
    assert "metallb_layer2_" not in body and "metallb_speaker_announced{" not in body, body
    assert seedlab.arping_macs(lab.client, ip) == set()
    for p in procs.values():
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=15) == 0


def test_bgp_message_counters(topology, bird, ingot_bin, tmp_path):
    lab = seedlab.build_bgp_seed_lab(topology, Node, nodes=1)
    router = seedlab.start_bird(bird, lab.router)
    node = lab.nodes[0]
    files = tmp_path / "files"
    files.mkdir()
    config = (DATA / "bgp.yml").read_text()
    anchor = "      peer-address: 172.30.8.35\n"
    assert anchor in config
    config = config.replace(anchor, anchor + "      hold-time: 9s\n      keepalive-time: 3s\n")
    (files / "10-config.yml").write_text(config)
    (files / "20-nginx.yml").write_text(seedlab.lb_service("nginx"))
    proc = start_run(node, ingot_bin, files, "node1")
    wait_for(lambda: seedlab.bird_next_hops(router, seedlab.SEED_BGP_IP + "/32") == {lab.node_ips[0]},
             timeout=30, what="198.51.100.1/32 from the node in BIRD")

    by_type = ("opens_sent", "opens_received", "notifications_sent", "keepalives_sent", "keepalives_received",
               "route_refresh_sent")

    def counters() -> dict[str, float | None]:
        body = scrape_ok(node)
        types = metric_types(body)
        assert types["metallb_bgp_updates_total"] == "counter"
        assert all(types[f"metallb_bgp_{k}"] == "untyped" for k in by_type), types
        assert types["metallb_bgp_pending_prefixes_total"] == "untyped", types
        return {k: seedlab.metric_value(body, f"metallb_bgp_{k}", peer=f"{seedlab.SEED_ROUTER_IP}:179")
                for k in ("updates_total", "updates_total_received", "total_sent", "total_received",
                          "pending_prefixes_total") + by_type}

    first = counters()
    assert first["updates_total"] >= 1, first
    assert first["total_sent"] >= first["updates_total"] + 2, first   # OPEN and KEEPALIVE too
    assert first["total_received"] >= 2, first                         # BIRD's OPEN and KEEPALIVE
    assert first["updates_total_received"] is not None, first
    assert first["opens_sent"] == 1 and first["opens_received"] == 1, first
    assert first["keepalives_sent"] >= 1 and first["keepalives_received"] >= 1, first
    assert first["notifications_sent"] == 0 and first["route_refresh_sent"] == 0, first
    assert first["pending_prefixes_total"] == 0, first
    # every message is one of the types (BIRD sends no NOTIFICATION or ROUTE-REFRESH here)
    assert first["total_received"] == (first["opens_received"] + first["keepalives_received"] +
                                       first["updates_total_received"]), first

    (files / "30-web.yml").write_text(seedlab.lb_service("web"))
    proc.send_signal(signal.SIGHUP)
    wait_for(lambda: seedlab.bird_route(router, "198.51.100.2/32"), timeout=15,
             what="198.51.100.2/32 after SIGHUP")
    second = counters()
    assert second["updates_total"] > first["updates_total"], (first, second)
    assert second["total_sent"] > first["total_sent"], (first, second)
    assert second["total_received"] >= first["total_received"], (first, second)
    assert second["pending_prefixes_total"] == 0, second
    # KEEPALIVEs both ways every 3 s (ours: keepalive-time; BIRD's: a third of the hold time 9 s)
    wait_for(lambda: (lambda c: c["keepalives_sent"] >= first["keepalives_sent"] + 2 and
                      c["keepalives_received"] >= first["keepalives_received"] + 2)(counters()),
             timeout=20, interval=1.0, what="KEEPALIVEs counted both ways")
    third = counters()
    assert third["opens_sent"] == 1 and third["opens_received"] == 1, third   # still the one session
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0
