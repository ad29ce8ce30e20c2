"""System tests: failure detection between speakers (SWIM + Lifeguard over authenticated UDP; issue 7).

Three node namespaces on the seed's L2 LAN (192.168.1.0/24), a client namespace on it, the seed's l2.yml and a
Service (192.168.1.240). A client-side ARP prober (raw socket, one request every 10 ms, each reply printed
with its CLOCK_MONOTONIC time) measures failover as: signal sent -> first ARP reply from the new owner.

  - `ingot run` x3 with Node objects carrying InternalIPs and a shared key: kill -9 of the owner -> the
    heir answers in under 1 s (printed); the survivors' `ingot status` shows the dead member.
  - SIGTERM of the owner: a signed LEAVE makes the others take over at once (printed, far below kill -9).
  - A node with the wrong key is never alive for the others; they count auth failures (status, metrics).
  - `ingot speaker` x3 against the real kube-apiserver, Nodes with InternalIPs, the key as a mounted
    Secret directory: kill -9 of the owner moves the IP in under 1 s without touching any Node condition.

Run: INGOT_BIN=<build>/ingot /usr/bin/python3 -m pytest tests/system/test_swim.py (as root).
"""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from fixtures.netns import Node, wait_for

sys.path.insert(0, str(Path(__file__).resolve().parent / "data" / "speaker"))
import seedk8s  # noqa: E402
import seedlab  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"
NAMES = ["node1", "node2", "node3"]
CLIENT_IP = "192.168.1.2"
FAILOVER_LIMIT_S = 1.0

SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: nginx
  namespace: {ns}
spec:
  type: LoadBalancer
  ports:
  - name: http
    port: 80
    protocol: TCP
  selector:
    app: nginx
"""

# ARP requests every 10 ms from the client; every reply for the target printed as "<monotonic> <mac>".
ARP_PROBER = r"""
import select, socket, struct, sys, time
ifname, src, target, duration = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
s.bind((ifname, 0))
mac = s.getsockname()[4]
tip = socket.inet_aton(target)
req = (b"\xff" * 6 + mac + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac +
       socket.inet_aton(src) + b"\x00" * 6 + tip)
print("ready", flush=True)
end = time.monotonic() + duration
nxt = 0.0
while time.monotonic() < end:
    now = time.monotonic()
    if now >= nxt:
        s.send(req)
        nxt = now + 0.01
    r, _, _ = select.select([s], [], [], max(0.0, nxt - time.monotonic()))
    if r:
        p = s.recv(128)
        if len(p) >= 42 and p[20:22] == b"\x00\x02" and p[28:32] == tip:
            print("%.4f %s" % (time.monotonic(), p[22:28].hex(":")), flush=True)
"""


class ArpProber:
    """The prober running in the client namespace for `duration` seconds."""

    def __init__(self, client, ip: str, duration: float):
        self.proc = client.popen([seedlab.PYTHON, "-c", ARP_PROBER, "eth0", CLIENT_IP, ip, str(duration)],
                                 stdout=subprocess.PIPE)
        seedlab.wait_ready(self.proc, "ARP prober")
        self.duration = duration

    def replies(self) -> list[tuple[float, str]]:
        out, _ = self.proc.communicate(timeout=self.duration + 10)
        rows = []
        for line in out.decode().splitlines():
            t, _, mac = line.partition(" ")
            rows.append((float(t), mac.lower()))
        return rows


def first_reply_from(rows, mac: str, after: float) -> float | None:
    return next((t for t, m in rows if m == mac and t >= after), None)


def status_of(ingot_bin, sock: Path) -> dict:
    out = subprocess.run([str(ingot_bin), "status", "--json", "--socket", str(sock)], capture_output=True,
                         text=True, timeout=15, check=True).stdout
    doc = json.loads(out)
    return doc.get("result", doc)


def member_states(ingot_bin, sock: Path) -> dict[str, str]:
    st = status_of(ingot_bin, sock)["members"]
    return {m["node"]: m["state"] for m in st.get("members", [])}


def write_key(path: Path, key: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(key)
    return path


class RunCluster:
    """Three `ingot run` nodes on the L2 lab, each with its control socket and metrics."""

    def __init__(self, topology, ingot_bin, tmp_path: Path, keys: dict[str, Path], extra=()):
        self.bin = ingot_bin
        self.lab = seedlab.build_l2_seed_lab(topology, Node, nodes=3)
        self.files = tmp_path / "files"
        self.files.mkdir()
        (self.files / "config.yml").write_text((DATA / "l2.yml").read_text())
        (self.files / "nginx.yml").write_text(SERVICE.format(ns="default"))
        (self.files / "nodes.yml").write_text("---\n".join(
            seedlab.node_object(n, address=ip) for n, ip in zip(NAMES, self.lab.node_ips)))
        self.ns = dict(zip(NAMES, self.lab.nodes))
        self.macs = {n: ns.mac().lower() for n, ns in self.ns.items()}
        self.procs: dict[str, subprocess.Popen] = {}
        for name in NAMES:
            ns = self.ns[name]
            argv = [str(ingot_bin), "run", "-f", str(self.files), "--node-name", name, "--log-level", "debug",
                    "--control-socket", str(self.sock(name)),
                    "--metrics-addr", f"127.0.0.1:{seedlab.METRICS_PORT}",
                    "--ml-secret-key-path", str(keys[name]), *extra]
            self.procs[name] = ns.popen(argv, log="run.log")

    def sock(self, name: str) -> Path:
        return self.ns[name].workdir / "control.sock"

    def log(self, name: str) -> str:
        return (self.ns[name].workdir / "run.log").read_text(errors="replace")

    def all_alive(self, names) -> bool:
        for n in names:
            try:
                st = member_states(self.bin, self.sock(n))
            except (subprocess.CalledProcessError, KeyError, json.JSONDecodeError):
                return False
            if any(st.get(o) != "alive" for o in names if o != n):
                return False
        return True


def owner_and_heir() -> tuple[str, str]:
    owner = seedlab.l2_owner(NAMES, seedlab.SEED_L2_IP)
    heir = seedlab.l2_owner([n for n in NAMES if n != owner], seedlab.SEED_L2_IP)
    return owner, heir


def measure_failover(client, macs, owner: str, heir: str, stop) -> float:
    """Starts the prober, waits until the owner answers, calls stop(); seconds until the heir answers."""
    prober = ArpProber(client, seedlab.SEED_L2_IP, duration=4.0)
    time.sleep(0.5)
    t0 = time.monotonic()
    stop()
    rows = prober.replies()
    before = [m for t, m in rows if t < t0]
    assert before and set(before[-5:]) == {macs[owner]}, f"the owner did not answer before the stop: {rows[:10]}"
    t1 = first_reply_from(rows, macs[heir], t0)
    assert t1 is not None, f"no ARP reply from the heir {heir} within 3.5 s: {rows[-10:]}"
    after = {m for t, m in rows if t > t1 + 0.2}
    assert after == {macs[heir]}, f"answers after the takeover: {after}"
    return t1 - t0


def test_run_kill9_failover(topology, ingot_bin, tmp_path):
    key = write_key(tmp_path / "key" / "secretkey", b"ingot-swim-test-key\n")
    keys = {"node1": key.parent, "node2": key, "node3": key.parent}   # directory (Secret) and file forms
    rc = RunCluster(topology, ingot_bin, tmp_path, keys)
    owner, heir = owner_and_heir()
    wait_for(lambda: rc.all_alive(NAMES), timeout=20, what="every node alive in every view")
    wait_for(lambda: seedlab.arping_macs(rc.lab.client, seedlab.SEED_L2_IP) == {rc.macs[owner]}, timeout=20,
             what=f"ARP answer from the elected node {owner}")

    def kill():
        rc.procs[owner].send_signal(signal.SIGKILL)

    dt = measure_failover(rc.lab.client, rc.macs, owner, heir, kill)
    print(f"\nSWIM L2 failover {owner} -> {heir} after kill -9: {dt * 1000:.0f} ms")
    assert dt < FAILOVER_LIMIT_S, f"failover took {dt:.3f} s"
    assert seedlab.arping_macs(rc.lab.client, seedlab.SEED_L2_IP, count=2, wait=2) == {rc.macs[heir]}
    # The survivors' views: the owner dead, the other survivor alive; each change logged with a reason.
    survivors = [n for n in NAMES if n != owner]
    for n in survivors:
        wait_for(lambda n=n: member_states(ingot_bin, rc.sock(n)).get(owner) == "dead", timeout=5,
                 what=f"{owner} dead in {n}'s view")
        st = status_of(ingot_bin, rc.sock(n))["members"]
        assert st["enabled"] and st["ready"], st
        assert f"member={owner} from=" in rc.log(n) and "to=dead" in rc.log(n)
    body = seedlab.scrape(rc.ns[heir])[1]
    assert seedlab.metric_value(body, "ingot_memberlist_members", state="dead") == 1, body
    assert seedlab.metric_value(body, "ingot_memberlist_members", state="alive") == 1, body
    assert seedlab.metric_value(body, "ingot_memberlist_probes_total") > 0, body
    assert seedlab.metric_value(body, "ingot_memberlist_suspicions_total") >= 0, body
    assert seedlab.metric_value(body, "ingot_memberlist_local_health") is not None, body
    # the owner's death was observed once, detected within the failover time
    assert seedlab.metric_value(body, "ingot_memberlist_detection_seconds_count") == 1, body
    detected = seedlab.metric_value(body, "ingot_memberlist_detection_seconds_sum")
    assert 0 < detected < FAILOVER_LIMIT_S, body
    print(f"detection (last packet -> dead) at {heir}: {detected * 1000:.0f} ms")
    # The text rendering of `ingot status` shows the member table.
    out = subprocess.run([str(ingot_bin), "status", "--socket", str(rc.sock(heir))], capture_output=True,
                         text=True, timeout=15, check=True).stdout
    assert "Speakers" in out and owner in out and "dead" in out, out


def test_run_sigterm_leave(topology, ingot_bin, tmp_path):
    key = write_key(tmp_path / "key", b"another key")
    rc = RunCluster(topology, ingot_bin, tmp_path, {n: key for n in NAMES})
    owner, heir = owner_and_heir()
    wait_for(lambda: rc.all_alive(NAMES), timeout=20, what="every node alive in every view")
    wait_for(lambda: seedlab.arping_macs(rc.lab.client, seedlab.SEED_L2_IP) == {rc.macs[owner]}, timeout=20,
             what=f"ARP answer from the elected node {owner}")

    def term():
        rc.procs[owner].send_signal(signal.SIGTERM)

    dt = measure_failover(rc.lab.client, rc.macs, owner, heir, term)
    print(f"\nSWIM L2 failover {owner} -> {heir} after SIGTERM (LEAVE): {dt * 1000:.0f} ms")
    assert dt < 0.25, f"takeover after a graceful leave took {dt:.3f} s"
    assert rc.procs[owner].wait(timeout=15) == 0
    for n in (x for x in NAMES if x != owner):
        assert member_states(ingot_bin, rc.sock(n)).get(owner) == "left"
        assert "to=left" in rc.log(n) and "reason=\"left (graceful leave)\"" in rc.log(n)


def test_run_wrong_key(topology, ingot_bin, tmp_path):
    good = write_key(tmp_path / "good", b"the shared key")
    bad = write_key(tmp_path / "bad", b"not the shared key")
    rc = RunCluster(topology, ingot_bin, tmp_path, {"node1": good, "node2": good, "node3": bad})
    wait_for(lambda: rc.all_alive(["node1", "node2"]), timeout=20, what="node1 and node2 alive to each other")
    time.sleep(2)
    for n in ("node1", "node2"):
        st = status_of(ingot_bin, rc.sock(n))["members"]
        assert {m["node"]: m["state"] for m in st["members"]}["node3"] == "dead", st
        row = next(m for m in st["members"] if m["node"] == "node3")
        assert row["last_heard_ms"] is None, row
        assert st["counters"]["auth_failures"] > 0, st
        body = seedlab.scrape(rc.ns[n])[1]
        assert seedlab.metric_value(body, "ingot_memberlist_auth_failures_total") > 0, body
        assert "member=node3" not in rc.log(n) or "member=node3 from=dead to=alive" not in rc.log(n)
    st3 = status_of(ingot_bin, rc.sock("node3"))["members"]
    assert all(m["state"] == "dead" for m in st3["members"]), st3
    assert st3["counters"]["auth_failures"] > 0
    # The IP stays with the elected one of the two nodes that share the key, from their point of view.
    owner = seedlab.l2_owner(["node1", "node2"], seedlab.SEED_L2_IP)
    for n in ("node1", "node2"):
        rows = status_of(ingot_bin, rc.sock(n))["l2"]["announcements"]
        assert bool(rows) == (n == owner), (n, rows)


def test_speaker_kill9_failover(cluster, ingot_bin, tmp_path, testns, topology):
    """`ingot speaker` with the Nodes from the API server as members; no Node condition is touched."""
    cluster.clear_deleted_test_namespaces()
    k8s = seedk8s.Seed(cluster, ingot_bin, tmp_path, testns)
    try:
        k8s.start_controller()
        lab = seedlab.build_l2_seed_lab(topology, Node, nodes=3)
        secret = write_key(tmp_path / "memberlist" / "secretkey", b"k8s memberlist key")
        for name, ip, ns in zip(NAMES, lab.node_ips, lab.nodes):
            k8s.add_node(name, ns, address=ip)
        cluster.apply((DATA / "l2.yml").read_text())
        cluster.apply(SERVICE.format(ns=testns), namespace=testns)
        cluster.apply(seedlab.endpoint_slice(testns, "nginx", NAMES, ["10.244.1.5", "10.244.2.5", "10.244.3.5"]))
        socks = {}
        for name, ns in zip(NAMES, lab.nodes):
            socks[name] = ns.workdir / "control.sock"
            k8s.start_speaker(name, "--control-socket", str(socks[name]), "--ml-secret-key-path", str(secret.parent))
        wait_for(lambda: seedlab.external_ip(cluster, testns, "nginx") == seedlab.SEED_L2_IP, timeout=30,
                 what="EXTERNAL-IP 192.168.1.240")

        def alive_everywhere():
            try:
                return all(member_states(ingot_bin, socks[n]).get(o) == "alive"
                           for n in NAMES for o in NAMES if o != n)
            except (subprocess.CalledProcessError, KeyError, json.JSONDecodeError):
                return False
        wait_for(alive_everywhere, timeout=30, what="every speaker alive in every view")
        owner, heir = owner_and_heir()
        macs = {n: ns.mac().lower() for n, ns in zip(NAMES, lab.nodes)}
        wait_for(lambda: seedlab.arping_macs(lab.client, seedlab.SEED_L2_IP) == {macs[owner]}, timeout=20,
                 what=f"ARP answer from the elected node {owner}")
        before = k8s.conditions()

        def kill():
            k8s.speakers[owner].send_signal(signal.SIGKILL)

        dt = measure_failover(lab.client, macs, owner, heir, kill)
        print(f"\nSWIM L2 failover (ingot speaker) {owner} -> {heir} after kill -9: {dt * 1000:.0f} ms")
        assert dt < FAILOVER_LIMIT_S, f"failover took {dt:.3f} s"
        assert k8s.conditions() == before, "a Node condition changed"
        assert member_states(ingot_bin, socks[heir]).get(owner) == "dead"
    finally:
        k8s.close()
