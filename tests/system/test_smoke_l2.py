"""Smoke test of the layer-2 test bed, before ingot's own responder uses it.

It proves the pieces layer-2 tests will rely on: the bridge forwards between
namespaces, `arping`/`ndisc6` from the client see a node's real MAC, the
client's neighbour table learns it, and -- just as important -- the nodes'
strictARP emulation works: a service IP on a node's `lo` is NOT answered by the
kernel, so any answer a later test sees for it must come from ingot.
"""

import re

MAC_RE = re.compile(r"([0-9a-f]{2}(?::[0-9a-f]{2}){5})", re.I)


def arping(ns, target, count=2, deadline=3):
    """iputils arping from `ns`; returns the replying MACs (lower case)."""
    r = ns.run(["arping", "-c", count, "-w", deadline, "-I", "eth0", target], check=False,
               timeout=deadline + 5)
    return {m.lower() for line in r.stdout.splitlines() if "reply from" in line.lower()
            for m in MAC_RE.findall(line)}


def ndisc(ns, target, tries=2, wait_ms=500):
    """ndisc6 from `ns`; returns the advertised MAC (lower case) or None."""
    r = ns.run(["ndisc6", "-n", "-r", tries, "-w", wait_ms, target, "eth0"], check=False,
               timeout=tries * wait_ms / 1000 + 5)
    m = re.search(r"Target link-layer address:\s*(\S+)", r.stdout)
    return m.group(1).lower() if m else None


def test_node_answers_arp_and_client_learns_mac(l2_lab):
    node, client = l2_lab.nodes[0], l2_lab.client
    assert arping(client, node.v4) == {node.mac()}
    # arping's replies do not create kernel neighbour entries (arp_accept=0);
    # ordinary traffic does.
    assert client.ping(node.v4)
    client.wait_for(lambda: client.neigh_lladdr(node.v4) == node.mac(), timeout=5,
                    what=f"client neighbour entry for {node.v4}")
    # The other node is a different MAC: the bed really has distinct stations.
    assert l2_lab.nodes[1].mac() != node.mac()


def test_node_answers_ndp_and_client_learns_mac(l2_lab):
    node, client = l2_lab.nodes[1], l2_lab.client
    assert ndisc(client, node.v6) == node.mac()
    assert client.ping(node.v6)
    client.wait_for(lambda: client.neigh_lladdr(node.v6) == node.mac(), timeout=5,
                    what=f"client neighbour entry for {node.v6}")


def test_service_ip_on_lo_is_not_answered_by_the_kernel(l2_lab):
    """strictARP emulation: a VIP on lo must stay silent on the LAN (v4 and v6)."""
    vip4, vip6 = str(l2_lab.service_v4[10]), str(l2_lab.service_v6[10])
    for node in l2_lab.nodes:
        node.serve_vip(vip4)
        node.serve_vip(vip6)
    assert arping(l2_lab.client, vip4, count=2, deadline=2) == set()
    assert ndisc(l2_lab.client, vip6, tries=2, wait_ms=400) is None
    # ...while the node itself does serve it (so the responder works).
    r = l2_lab.nodes[0].run(["/usr/bin/python3", "-c",
                             "import socket,sys;s=socket.socket();s.settimeout(3);"
                             f"s.connect(('{vip4}',8080));s.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n');"
                             "print(s.recv(4096).decode().split('\\r\\n\\r\\n')[1])"])
    assert r.stdout.strip() == l2_lab.nodes[0].label
