"""System tests of ingot's layer-2 responder (src/l2) on a real bridged LAN.

Each node namespace runs the `l2-announce` test driver (tests/system/drivers/l2), which runs the
responder on the node's eth0 and takes commands on stdin.  The client's view is the truth:
`arping` and `ndisc6` must see the owning node's MAC, the client's kernel neighbour table must move
on a takeover because of the gratuitous ARP / unsolicited NA (RFC 5227 3, RFC 4861 7.2.6), nobody
may answer for an address nobody owns, and hostile frames must not stop the service.

The nodes emulate kube-proxy's strictARP (fixtures/netns.py), so the kernel never answers for a
service IP; any answer seen here comes from ingot.

The driver is found at $INGOT_L2_ANNOUNCE, or in build/ (built when meson's `tests` option is on).
"""

import json
import os
import re
import select
import subprocess
import time
from pathlib import Path

import pytest

from test_smoke_l2 import arping, ndisc

REPO = Path(__file__).resolve().parent.parent.parent
DRIVER = Path(os.environ.get("INGOT_L2_ANNOUNCE",
                             REPO / "build" / "tests" / "system" / "drivers" / "l2" / "l2-announce"))
PYTHON = "/usr/bin/python3"


@pytest.fixture(scope="module")
def driver():
    if not DRIVER.is_file():
        pytest.fail(f"l2-announce not found at {DRIVER}: build with tests enabled "
                    "(or set INGOT_L2_ANNOUNCE)")
    return DRIVER


class Announcer:
    """One l2-announce process in a node namespace, driven over its stdin."""

    def __init__(self, node, driver, ips=(), *options):
        self.node = node
        node.workdir.mkdir(parents=True, exist_ok=True)
        log = open(node.workdir / "l2-announce.log", "ab")
        try:
            self.proc = node.popen([driver, "--interface", "eth0", *options, *ips],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log)
        finally:
            log.close()
        assert self._line(5.0) == "ready", f"l2-announce on {node.label} did not start"

    def _line(self, timeout=5.0):
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            raise TimeoutError(f"no answer from l2-announce on {self.node.label}")
        return self.proc.stdout.readline().decode().strip()

    def command(self, line):
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()
        return self._line()

    def own(self, *ips):
        assert self.command(" ".join(["own", *ips])) == "ok"

    def counters(self):
        return json.loads(self.command("counters"))

    def select(self, ip, *names):
        return json.loads(self.command(" ".join(["select", ip, *names])))["interfaces"]

    def stop(self):
        self.node.stop(self.proc)


def vips(lab, i):
    return str(lab.service_v4[i]), str(lab.service_v6[i])


def capture(ns, path):
    """dumpcap (Wireshark's capture engine) on ns's eth0 for ARP and ICMPv6 into path until
    stopped; returns the process once the capture is running."""
    proc = ns.popen(["dumpcap", "-q", "-i", "eth0", "-f", "arp or icmp6", "-w", str(path)],
                    log="dumpcap.log")
    ns.wait_for(lambda: path.exists(), timeout=5, what="dumpcap started")
    time.sleep(0.2)
    return proc


def tshark_fields(path, display_filter, *fields):
    args = ["tshark", "-r", str(path), "-Y", display_filter, "-T", "fields"]
    for f in fields:
        args += ["-e", f]
    r = subprocess.run(args, capture_output=True, text=True, timeout=60, check=True)
    return [line.split("\t") for line in r.stdout.splitlines() if line.strip()]


# --- answering -------------------------------------------------------------------------------


def test_arping_and_ndisc_get_the_owner_mac(l2_lab, driver):
    node, client = l2_lab.nodes[0], l2_lab.client
    v4, v6 = vips(l2_lab, 10)
    a = Announcer(node, driver, [v4, v6])
    assert arping(client, v4) == {node.mac()}
    assert ndisc(client, v6) == node.mac()
    c = a.counters()
    assert c["replies_sent"] >= 3 and c["requests_seen"] >= 3
    assert c["malformed"] == 0 and c["errors"] == 0 and c["dropped"] == 0


def test_ns_without_source_link_layer_option_is_answered(l2_lab, driver):
    """MetalLB #2685: an NS without SLLA (unicast, as a client refreshing its cache sends) must
    be answered too, at the frame's Ethernet source."""
    node, client = l2_lab.nodes[0], l2_lab.client
    _, v6 = vips(l2_lab, 11)
    Announcer(node, driver, [v6])
    script = f"""
from scapy.all import Ether, IPv6, ICMPv6ND_NS, ICMPv6ND_NA, ICMPv6NDOptDstLLAddr, srp1, conf
conf.verb = 0
ns = Ether(dst="{node.mac()}") / IPv6(src="{client.v6}", dst="{v6}", hlim=255) / ICMPv6ND_NS(tgt="{v6}")
r = srp1(ns, iface="eth0", timeout=3)
assert r is not None and ICMPv6ND_NA in r, "no answer"
na = r[ICMPv6ND_NA]
print(r.src, r[IPv6].dst, na.S, na.O, na.R, r[ICMPv6NDOptDstLLAddr].lladdr)
"""
    out = client.run([PYTHON, "-c", script], timeout=20).stdout.split()
    assert out == [node.mac(), client.v6, "1", "1", "0", node.mac()]


def test_nobody_answers_for_addresses_nobody_owns(l2_lab, driver):
    client = l2_lab.client
    owned4, owned6 = vips(l2_lab, 12)
    free4, free6 = vips(l2_lab, 13)
    a = Announcer(l2_lab.nodes[0], driver, [owned4, owned6])
    b = Announcer(l2_lab.nodes[1], driver)            # running, owns nothing
    assert arping(client, free4, count=2, deadline=2) == set()
    assert ndisc(client, free6, tries=2, wait_ms=400) is None
    assert arping(client, owned4) == {l2_lab.nodes[0].mac()}
    # Releasing stops the answers at once.
    a.own()
    assert arping(client, owned4, count=2, deadline=2) == set()
    assert ndisc(client, owned6, tries=2, wait_ms=400) is None
    assert b.counters()["replies_sent"] == 0


# --- announcing ------------------------------------------------------------------------------


def test_gratuitous_burst_is_sent_and_decodes_cleanly(l2_lab, driver, tmp_path):
    """Gaining an IP sends gratuitous ARP in both forms and an unsolicited NA at once, then the
    burst (5 over 2 s by default); tshark decodes every frame ingot sent without a warning."""
    node, client = l2_lab.nodes[0], l2_lab.client
    v4, v6 = vips(l2_lab, 14)
    pcap = tmp_path / "burst.pcap"
    cap = capture(client, pcap)
    a = Announcer(node, driver, [], "--refresh-ms", "0")
    a.own(v4, v6)
    # Ask once as well, so a reply and a solicited NA are in the capture for tshark to check.
    assert arping(client, v4, count=1) == {node.mac()}
    assert ndisc(client, v6, tries=1) == node.mac()
    time.sleep(3)
    client.stop(cap)
    mac = node.mac()
    garp = tshark_fields(pcap, f"eth.src == {mac} && arp.isgratuitous", "arp.opcode", "arp.dst.hw_mac")
    assert sorted(op for op, _ in garp) == ["1"] * 6 + ["2"] * 6
    assert {tha for op, tha in garp if op == "1"} == {"00:00:00:00:00:00"}
    assert {tha for op, tha in garp if op == "2"} == {mac}
    una = tshark_fields(pcap, f"eth.src == {mac} && icmpv6.type == 136 && ipv6.dst == ff02::1",
                        "icmpv6.nd.na.flag.s", "icmpv6.nd.na.flag.o", "icmpv6.opt.linkaddr")
    assert len(una) == 6
    for s_flag, o_flag, lladdr in una:
        assert s_flag in ("0", "False") and o_flag in ("1", "True") and lladdr == mac
    ours = tshark_fields(pcap, f"eth.src == {mac}", "frame.number")
    assert len(ours) >= 12 + 6 + 2
    warned = tshark_fields(pcap, f"eth.src == {mac} && _ws.expert.severity >= 6291456",
                           "frame.number", "_ws.expert.message")
    assert warned == []
    assert a.counters()["gratuitous_sent"] == 18


def neigh_changes(log_path, ip):
    """(wall-clock time, lladdr) for each `ip -ts monitor neigh` line about ip."""
    out = []
    for line in Path(log_path).read_text().splitlines():
        m = re.match(r"\[(\S+)\]\s+(\S+) dev \S+ lladdr (\S+)", line)
        if m and m.group(2) == ip:
            ts = time.mktime(time.strptime(m.group(1)[:19], "%Y-%m-%dT%H:%M:%S"))
            out.append((ts + float("0." + m.group(1)[20:]), m.group(3).lower()))
    return out


@pytest.mark.parametrize("family", [4, 6])
def test_takeover_moves_the_client_neighbour_entry(l2_lab, driver, family, tmp_path):
    n1, n2, client = l2_lab.nodes[0], l2_lab.nodes[1], l2_lab.client
    v4, v6 = vips(l2_lab, 20 + family)
    vip = v4 if family == 4 else v6
    for n in (n1, n2):
        n.serve_vip(vip)
    a = Announcer(n1, driver, [vip])
    b = Announcer(n2, driver)
    assert client.ping(vip)
    client.wait_for(lambda: client.neigh_lladdr(vip) == n1.mac(), timeout=5,
                    what=f"neighbour entry for {vip} at node1")
    # Linux ignores an update within locktime (1 s) of the last one (TESTBED.md pitfalls).
    time.sleep(1.2)
    mon = client.popen(["ip", "-ts", "monitor", "neigh"], log=tmp_path / "neigh.log")
    time.sleep(0.3)
    a.own()
    t0 = time.time()
    b.own(vip)
    client.wait_for(lambda: client.neigh_lladdr(vip) == n2.mac(), timeout=3,
                    what=f"neighbour entry for {vip} to move to node2")
    time.sleep(0.2)
    client.stop(mon)
    moved = [t for t, mac in neigh_changes(tmp_path / "neigh.log", vip) if mac == n2.mac()]
    assert moved, "ip monitor saw no change"
    delay_ms = (moved[0] - t0) * 1000
    print(f"IPv{family} neighbour entry moved {delay_ms:.1f} ms after the takeover")
    assert delay_ms < 100
    if family == 4:
        assert arping(client, vip, count=1) == {n2.mac()}
    else:
        assert ndisc(client, vip) == n2.mac()


def test_few_pings_lost_when_the_owner_dies(l2_lab, driver):
    """Node death (its link goes down) and a takeover by the other node while the client pings
    every 10 ms: fewer than 20 pings are lost."""
    n1, n2, client = l2_lab.nodes[0], l2_lab.nodes[1], l2_lab.client
    vip, _ = vips(l2_lab, 30)
    for n in (n1, n2):
        n.serve_vip(vip)
    Announcer(n1, driver, [vip])
    b = Announcer(n2, driver)
    assert client.ping(vip)
    time.sleep(1.2)                                # past locktime
    ping = client.popen(["ping", "-n", "-q", "-i", "0.01", "-c", "300", "-W", "1", vip],
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    time.sleep(1.0)
    n1.run(["ip", "link", "set", "eth0", "down"])
    b.own(vip)
    out, _ = ping.communicate(timeout=30)
    m = re.search(r"(\d+) packets transmitted, (\d+) received", out.decode())
    assert m, out
    lost = int(m.group(1)) - int(m.group(2))
    print(f"{lost} of {m.group(1)} pings lost across the takeover")
    assert lost < 20


# --- hostile input ---------------------------------------------------------------------------

HOSTILE = r"""
import random, socket
from scapy.all import Ether, ARP, IPv6, ICMPv6ND_NS, ICMPv6NDOptSrcLLAddr, Raw, raw, sendp, conf
from scapy.utils6 import in6_getnsma, in6_getnsmac
conf.verb = 0
vip4, vip6, me6, me_mac = "{vip4}", "{vip6}", "{me6}", "{me_mac}"
nsma = in6_getnsma(socket.inet_pton(socket.AF_INET6, vip6))
frames = []
req = raw(Ether(dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, pdst=vip4))
for n in range(0, len(req)):                                      # every truncation
    frames.append(req[:n])
frames.append(req + b"\xff" * 1400)                              # oversized
bad = bytearray(req); bad[19] = 16; frames.append(bytes(bad))     # plen 16
bad = bytearray(req); bad[18] = 0; frames.append(bytes(bad))      # hlen 0
bad = bytearray(req); bad[22] = 0xff; frames.append(bytes(bad))   # multicast sender MAC
ns = raw(Ether(dst=in6_getnsmac(nsma)) / IPv6(src=me6, dst=socket.inet_ntop(socket.AF_INET6, nsma), hlim=255)
         / ICMPv6ND_NS(tgt=vip6) / ICMPv6NDOptSrcLLAddr(lladdr=me_mac))
for n in range(0, len(ns), 3):
    frames.append(ns[:n])
bad = bytearray(ns); bad[21] = 64; frames.append(bytes(bad))      # hop limit
bad = bytearray(ns); bad[-7] = 0; frames.append(bytes(bad))       # option length 0
bad = bytearray(ns); bad[19] = 0xff; frames.append(bytes(bad))    # payload length past the end
frames.append(raw(Ether(dst="33:33:00:00:00:01") / IPv6(src=me6, dst="ff02::1", hlim=255)
                  / ICMPv6ND_NS(tgt="ff02::1")))                  # multicast target
rnd = random.Random(7)
for _ in range(300):
    base = bytearray(rnd.choice([req, ns]))
    for _ in range(rnd.randint(1, 8)):
        base[rnd.randrange(len(base))] = rnd.randrange(256)
    frames.append(bytes(base))
for f in frames:
    sendp(Raw(load=f or b"\x00"), iface="eth0")
print(len(frames))
"""


def test_hostile_frames_are_ignored_and_service_goes_on(l2_lab, driver):
    node, client = l2_lab.nodes[0], l2_lab.client
    v4, v6 = vips(l2_lab, 40)
    a = Announcer(node, driver, [v4, v6])
    script = HOSTILE.format(vip4=v4, vip6=v6, me6=client.v6, me_mac=client.mac())
    sent = int(client.run([PYTHON, "-c", script], timeout=120).stdout.strip())
    assert sent > 300
    assert a.proc.poll() is None, "l2-announce died"
    c = a.counters()
    assert c["malformed"] > 0
    assert c["errors"] == 0
    assert arping(client, v4) == {node.mac()}
    assert ndisc(client, v6) == node.mac()


# --- interface following ---------------------------------------------------------------------


def test_interface_selection_follows_netlink_events(l2_lab, driver):
    node = l2_lab.nodes[0]
    a = Announcer(node, driver)
    v4, v6 = vips(l2_lab, 50)
    assert a.select(v4) == ["eth0"]
    assert a.select(v6) == ["eth0"]
    # A new link with an address in another subnet is picked up from rtnetlink events alone.
    node.run(["ip", "link", "add", "br-svc", "type", "bridge"])
    node.run(["ip", "addr", "add", "10.77.0.1/24", "dev", "br-svc"])
    node.run(["ip", "link", "set", "br-svc", "up"])
    node.wait_for(lambda: a.select("10.77.0.9") == ["br-svc"], timeout=3, what="br-svc selected")
    # Default name excludes: docker0 in the same subnet is never chosen...
    node.run(["ip", "link", "add", "docker0", "type", "bridge"])
    node.run(["ip", "addr", "add", "10.88.0.1/24", "dev", "docker0"])
    node.run(["ip", "link", "set", "docker0", "up"])
    time.sleep(0.3)
    assert "docker0" not in a.select("10.88.0.9")
    # ...unless named explicitly; loopback never is.
    assert a.select("10.88.0.9", "docker0", "lo") == ["docker0"]
    # No interface in the IP's subnet: every eligible one.
    assert sorted(a.select("10.99.0.1")) == ["br-svc", "eth0"]
    # A bridge port is not eligible (its bridge answers); leaving the bridge (an AF_BRIDGE
    # RTM_DELLINK) makes it eligible again rather than forgetting it.
    node.run(["ip", "link", "add", "ens5", "type", "veth", "peer", "name", "ens6"])
    node.run(["ip", "link", "set", "ens5", "master", "br-svc"])
    node.run(["ip", "link", "set", "ens5", "up"])
    time.sleep(0.3)
    assert sorted(a.select("10.99.0.1")) == ["br-svc", "eth0"]   # ens6 is down, ens5 a port
    node.run(["ip", "link", "set", "ens5", "nomaster"])
    node.wait_for(lambda: sorted(a.select("10.99.0.1")) == ["br-svc", "ens5", "eth0"], timeout=3,
                  what="ens5 eligible after leaving the bridge")
    node.run(["ip", "link", "del", "ens5"])
    node.run(["ip", "link", "del", "br-svc"])
    node.wait_for(lambda: a.select("10.77.0.9") == ["eth0"], timeout=3, what="br-svc gone")


def test_mac_change_is_picked_up_and_announced(l2_lab, driver):
    """The node's MAC changes (as on a bond failover with fail_over_mac): the responder hears it
    from rtnetlink, answers with the new MAC and announces it, so the client's entries move."""
    node, client = l2_lab.nodes[0], l2_lab.client
    v4, v6 = vips(l2_lab, 60)
    for vip in (v4, v6):
        node.serve_vip(vip)
    Announcer(node, driver, [v4, v6])
    for vip in (v4, v6):
        assert client.ping(vip)
        client.wait_for(lambda: client.neigh_lladdr(vip) == node.mac(), timeout=5,
                        what=f"neighbour entry for {vip}")
    time.sleep(1.2)                                # past locktime
    new_mac = "00:00:5e:00:53:01"                  # RFC 7042 documentation range
    node.run(["ip", "link", "set", "eth0", "address", new_mac])
    for vip in (v4, v6):
        client.wait_for(lambda: client.neigh_lladdr(vip) == new_mac, timeout=3,
                        what=f"neighbour entry for {vip} to follow the new MAC")
    assert arping(client, v4) == {new_mac}
    assert ndisc(client, v6) == new_mac
