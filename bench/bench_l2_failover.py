#!/usr/bin/python3
"""Layer-2 failover benchmark (issue 7): ingot against keepalived VRRP, same topology, same run.

    sudo /usr/bin/python3 bench/bench_l2_failover.py [--ingot build/ingot] [--rounds 10]
                                                     [--impls keepalived-0.01,keepalived-1,ingot]
                                                     [--json FILE]

The lab is the seed's layer-2 LAN of the system tests (tests/system/data/speaker/seedlab.py on
tests/system/fixtures/netns.py): a bridge, a client and three node namespaces (strictARP nodes, as
kube-proxy makes them). Every node serves the VIP 192.168.1.240 with Node.serve_vip, a UDP
responder that answers with the node's name, so each reply says which node the client reached.

Announcers, one per node, started fresh for every round:
  keepalived-0.01  keepalived VRRPv3 with advert_int 0.01, the fastest it accepts (0.005 is refused);
                   node1 MASTER priority 150, node2 BACKUP 100, node3 BACKUP 50; VIP/32 on eth0.
  keepalived-1     the same with keepalived's defaults (VRRPv2, advert_int 1).
                   keepalived runs in the foreground without respawn (-n -l -R, VRRP only).
  ingot            `ingot run -f DIR --node-name nodeN` with a MetalLB L2 configuration (an
                   IPAddressPool holding only the VIP and an L2Advertisement), one LoadBalancer Service
                   (which takes the pool's address), the three Node objects with their InternalIP,
                   and the failure detector's key (--ml-secret-key-path: SWIM over UDP 7946 between
                   the Nodes' InternalIPs) when this build has one. Default timings (probe interval
                   100 ms, probe timeout 50 ms, 3 indirect checks, default suspicion multiplier).
                   The owner is MetalLB's election (lowest sha256("node#ip")).
  ingot-tuned      the same with --ingot-tuned-args (default: a 10 ms protocol period, 5 ms probe
                   timeout, the pace of keepalived's fastest adverts); only when --impls names it.

A round: start the three announcers; wait until the client is answered by the expected owner (and,
for ingot, until every node's `ingot status` shows the two others alive), then SETTLE s more; start
tests/system/data/speaker/failover_probe.py in the client (one UDP datagram every 5 ms, one flow, CLOCK_MONOTONIC reply times
with the answering node's name); 1 s + U(0, 1 s) later the owner dies as a node does on power loss:
its eth0 is set down (SIOCSIFFLAGS from a helper already waiting inside that namespace) and the
announcer's process group is SIGKILLed in the same instant (the VIP may stay configured on the dead
node, harmless with its link down). After WAIT s the probe is stopped and every announcer is stopped
by its process group; the dead node's link comes back up and VIPs left on eth0 are removed.

Per round: failover = kill -> first reply from another node at the client; client gap = last reply
before that -> that reply (what the client lived through). Median and worst of the rounds, and the
ratio keepalived / ingot of both. Rounds of the implementations are interleaved (round 1 of each,
then round 2 of each...) so drift in the load of this shared machine hits them alike. A round in
which no other node answered within WAIT s is reported as failed, with no number; a round in which
another node already answered before the kill (a backup that missed adverts on a loaded machine and
took over: split brain) is reported as unsettled and kept out of the medians.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import random
import select
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "system"))
sys.path.insert(0, str(REPO / "tests" / "system" / "data" / "speaker"))

from fixtures import netns  # noqa: E402
import seedlab  # noqa: E402

PYTHON = "/usr/bin/python3"
PROBE = REPO / "tests" / "system" / "data" / "speaker" / "failover_probe.py"
VIP = seedlab.SEED_L2_IP
PORT = 8080
PROBE_INTERVAL_MS = 5.0
NODES = ["node1", "node2", "node3"]

# Waits after the kill, per implementation: keepalived's Master_Down_Interval is
# 3 x advert + (256 - priority)/256 x advert (3.61 s at advert_int 1, 36 ms at 0.01).
WAIT_S = {"keepalived-0.01": 1.5, "keepalived-1": 5.0, "ingot": 5.0, "ingot-tuned": 5.0}
KEEPALIVED_PRIO = {"node1": 150, "node2": 100, "node3": 50}

# Runs inside a node namespace for the whole benchmark, so that killing a node costs no process
# start: "down PGID" sets eth0 down and SIGKILLs the process group at once and prints the
# CLOCK_MONOTONIC time taken just before; "up" sets eth0 up again.
_KILLER_SRC = r"""
import fcntl, json, os, signal, socket, struct, sys, time
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
def flags(up):
    req = struct.pack("16sH", b"eth0", 0)
    cur = struct.unpack("16sH", fcntl.ioctl(s, SIOCGIFFLAGS, req)[:18])[1]
    new = cur | IFF_UP if up else cur & ~IFF_UP
    fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH", b"eth0", new))
print("ready", flush=True)
for line in sys.stdin:
    cmd = line.split()
    if cmd[0] == "down":
        t0 = time.monotonic()
        flags(False)
        try:
            os.killpg(int(cmd[1]), signal.SIGKILL)
        except ProcessLookupError:
            pass
        t1 = time.monotonic()
        print(json.dumps({"t0": t0, "t1": t1}), flush=True)
    elif cmd[0] == "up":
        flags(True)
        print(json.dumps({"up": time.monotonic()}), flush=True)
"""

KEEPALIVED_CONF = """global_defs {{
  router_id {node}
  {version}
}}
vrrp_instance bench {{
  state {state}
  interface eth0
  virtual_router_id 51
  priority {prio}
  advert_int {advert}
  virtual_ipaddress {{
    {vip}/32 dev eth0
  }}
}}
"""

INGOT_CONFIG = f"""apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: failover
  namespace: metallb-system
spec:
  addresses:
  - {VIP}/32
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata:
  name: failover
  namespace: metallb-system
"""

INGOT_SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: failover
  namespace: default
spec:
  type: LoadBalancer
  ports:
  - name: udp
    port: 8080
    protocol: UDP
  selector:
    app: failover
"""


def stop_group(ns, proc: subprocess.Popen) -> None:
    """Stop one announcer we started as a process-group leader: its leader by PID (SIGTERM, then
    SIGKILL), then whatever is left of its group (keepalived's VRRP child)."""
    ns.stop(proc, grace=3.0)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


class Bench:
    def __init__(self, args):
        self.args = args
        self.t0 = time.monotonic()
        self.created: list[netns.Netns] = []
        self.work = args.workdir
        self.rounds: list[dict] = []
        self.notes: dict[str, str] = {}

    def new_ns(self, label, cls=netns.Netns):
        ns = cls(label, workdir=self.work / label)
        (self.work / label).mkdir(parents=True, exist_ok=True)
        self.created.append(ns)
        return ns

    def close(self) -> None:
        for ns in reversed(self.created):
            try:
                ns.close()
            except Exception as exc:  # keep closing the others
                print(f"cleanup of {ns}: {exc}", file=sys.stderr)

    # -- the lab ---------------------------------------------------------------------------------
    def setup(self) -> None:
        topo = netns.Topology(self.new_ns)
        self.lab = seedlab.build_l2_seed_lab(topo, netns.Node, nodes=3)
        self.nodes = dict(zip(NODES, self.lab.nodes))
        self.node_ips = dict(zip(NODES, self.lab.node_ips))
        self.client = self.lab.client
        self.killers = {}
        for name, ns in self.nodes.items():
            ns.serve_vip(VIP, PORT)
            k = ns.popen([PYTHON, "-c", _KILLER_SRC], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            seedlab.wait_ready(k, f"link killer in {name}")
            self.killers[name] = k
        # Let the bridge learn every MAC before the first round.
        for ns in (self.client, *self.nodes.values()):
            ns.run(["ping", "-c", "1", "-W", "1", self.lab.node_ips[0] if ns is self.client else "192.168.1.2"],
                   check=False)
        self.write_ingot_files()

    def killer(self, name: str, cmd: str) -> dict:
        k = self.killers[name]
        k.stdin.write(cmd.encode() + b"\n")
        k.stdin.flush()
        ready, _, _ = select.select([k.stdout], [], [], 10)
        if not ready:
            raise RuntimeError(f"link killer in {name} did not answer")
        return json.loads(k.stdout.readline())

    def write_ingot_files(self) -> None:
        self.ingot_dir = self.work / "ingot-files"
        self.ingot_dir.mkdir(parents=True, exist_ok=True)
        (self.ingot_dir / "config.yaml").write_text(INGOT_CONFIG)
        (self.ingot_dir / "service.yaml").write_text(INGOT_SERVICE)
        (self.ingot_dir / "nodes.yaml").write_text("---\n".join(
            seedlab.node_object(n, address=self.node_ips[n]) for n in NODES))
        self.key = self.work / "memberlist.key"
        # A random key, as in MetalLB's memberlist Secret, the same on every node.
        self.key.write_text(base64.b64encode(os.urandom(32)).decode())
        helptext = subprocess.run([str(self.args.ingot), "run", "--help"], capture_output=True, text=True).stdout \
            + subprocess.run([str(self.args.ingot), "run", "--help"], capture_output=True, text=True).stderr
        self.ingot_has_fd = "--ml-secret-key-path" in helptext
        if not self.ingot_has_fd:
            self.notes["ingot"] = (f"{self.args.ingot} has no failure detector (`ingot run --help` lists no "
                                   "--ml-secret-key-path): the surviving nodes never learn that the owner died")

    # -- announcers ------------------------------------------------------------------------------
    def start(self, impl: str, name: str) -> subprocess.Popen:
        ns = self.nodes[name]
        log = self.work / name / f"{impl}.log"
        if impl.startswith("keepalived"):
            advert = impl.split("-", 1)[1]
            conf = self.work / name / f"{impl}.conf"
            conf.write_text(KEEPALIVED_CONF.format(
                node=name, version="vrrp_version 3" if advert != "1" else "",
                state="MASTER" if name == "node1" else "BACKUP", prio=KEEPALIVED_PRIO[name],
                advert=advert, vip=VIP))
            run = self.work / name / "run"
            run.mkdir(exist_ok=True)
            argv = ["keepalived", "-n", "-l", "-D", "-R", "-P", "-f", conf, "-p", run / "keepalived.pid",
                    "-r", run / "vrrp.pid", "-c", run / "checkers.pid", "-b", run / "bfd.pid"]
        else:
            argv = [self.args.ingot, "run", "-f", self.ingot_dir, "--node-name", name, "--log-level", "info",
                    "--control-socket", self.control(name)]
            if self.ingot_has_fd:
                argv += ["--ml-secret-key-path", self.key]
            if impl == "ingot-tuned":
                argv += self.args.ingot_tuned_args.split()
        return ns.popen(argv, log=log, process_group=0)

    def control(self, name: str) -> Path:
        return self.work / name / "control.sock"

    def ingot_views_complete(self) -> bool:
        """Every ingot node sees the two others alive (`ingot status --json`, members section)."""
        for name in NODES:
            r = subprocess.run([str(self.args.ingot), "status", "--json", "--socket", str(self.control(name))],
                               capture_output=True, text=True, timeout=15)
            if r.returncode != 0:
                return False
            try:
                doc = json.loads(r.stdout)
                members = doc.get("result", doc)["members"].get("members", [])
            except (ValueError, KeyError, AttributeError):
                return False
            states = {m["node"]: m["state"] for m in members}
            if any(states.get(o) != "alive" for o in NODES if o != name):
                return False
        return True

    def expected_owner(self, impl: str, alive: list[str]) -> str:
        if impl.startswith("keepalived"):
            return max(alive, key=lambda n: KEEPALIVED_PRIO[n])
        return seedlab.l2_owner(alive, VIP)

    # -- one round -------------------------------------------------------------------------------
    def round(self, impl: str, i: int) -> dict:
        owner = self.expected_owner(impl, NODES)
        successor = self.expected_owner(impl, [n for n in NODES if n != owner])
        procs = {name: self.start(impl, name) for name in NODES}
        res = {"impl": impl, "round": i, "owner": owner, "expected_successor": successor}
        probe = None
        try:
            t_start = time.monotonic()
            answered = None
            while time.monotonic() - t_start < 30:
                answered = self.client.probe(VIP, PORT, flows=1, timeout=1.0)
                if answered.get(owner):
                    break
                dead = [n for n, p in procs.items() if p.poll() is not None]
                if dead:
                    raise RuntimeError(f"{impl} exited on {dead}; see {self.work}/<node>/{impl}.log")
            else:
                neigh = self.client.run(["ip", "neigh", "show", VIP], check=False).stdout.strip()
                raise RuntimeError(f"{impl}: {owner} never answered for {VIP} (last: {dict(answered or {})}; "
                                   f"client neighbour entry: {neigh or 'none'})")
            if impl.startswith("ingot") and self.ingot_has_fd:
                while not self.ingot_views_complete():
                    if time.monotonic() - t_start > 30:
                        raise RuntimeError("ingot: the nodes never all saw each other alive")
                    time.sleep(0.1)
            res["up_s"] = time.monotonic() - t_start
            time.sleep(self.args.settle)
            probe = self.client.popen([PYTHON, PROBE, VIP, "--port", PORT, "--interval-ms", PROBE_INTERVAL_MS],
                                      stdout=subprocess.PIPE)
            seedlab.wait_ready(probe, "failover probe")
            time.sleep(1.0 + random.random())
            kill = self.killer(owner, f"down {procs[owner].pid}")
            time.sleep(self.args.wait or WAIT_S[impl])
            probe.send_signal(signal.SIGTERM)
            out, _ = probe.communicate(timeout=10)
            data = json.loads(out.decode().strip().splitlines()[-1])
        finally:
            if probe is not None and probe.poll() is None:
                self.client.stop(probe)
            for name, p in procs.items():
                stop_group(self.nodes[name], p)
            self.killer(owner, "up")
            for ns in self.nodes.values():
                ns.run(["ip", "addr", "del", f"{VIP}/32", "dev", "eth0"], check=False)
            # The dead node's responder may have lost its UDP thread: a reply sent while its link
            # was down fails (ENETDOWN) and Node.serve_vip's responder does not survive that.
            # A fresh one (by PID, the VIP taken off lo and put back) for the next round.
            self.nodes[owner].unserve_vip(VIP)
            self.nodes[owner].serve_vip(VIP, PORT)
        res.update(analyse(data, kill["t0"], owner))
        res["kill_took_ms"] = (kill["t1"] - kill["t0"]) * 1000
        return res

    def run(self) -> None:
        for i in range(1, self.args.rounds + 1):
            for impl in self.args.impls:
                try:
                    r = self.round(impl, i)
                except (RuntimeError, TimeoutError, subprocess.TimeoutExpired, ValueError) as exc:
                    # Counted as failed (no number), with the reason; the next round starts clean.
                    r = {"impl": impl, "round": i, "owner": self.expected_owner(impl, NODES), "error": str(exc),
                         "failover_ms": None, "gap_ms": None, "new_owner": None, "stable": True,
                         "lost": 0, "sent": 0}
                    print(f"  round {i:2} {impl:16} ERROR: {exc}", flush=True)
                    self.rounds.append(r)
                    continue
                self.rounds.append(r)
                fo = f"{r['failover_ms']:8.1f} ms" if r["failover_ms"] is not None else "  failed   "
                gap = f"{r['gap_ms']:8.1f} ms" if r["gap_ms"] is not None else "    —      "
                unsettled = "" if r["stable"] else \
                    f"; UNSETTLED: {r['others_before_kill']} replies from other nodes before the kill"
                print(f"  round {i:2} {impl:16} {r['owner']} killed -> {r['new_owner'] or 'nobody':6}: "
                      f"failover {fo}, client gap {gap}, lost {r['lost']:4} of {r['sent']}{unsettled}", flush=True)

    # -- report ----------------------------------------------------------------------------------
    def summary(self) -> dict:
        out = {}
        for impl in self.args.impls:
            rs = [r for r in self.rounds if r["impl"] == impl]
            ok = [r for r in rs if r["failover_ms"] is not None and r["stable"]]
            s = {"rounds": len(rs), "failed": sum(1 for r in rs if r["failover_ms"] is None),
                 "unsettled": sum(1 for r in rs if not r["stable"]), "measured": len(ok)}
            if ok:
                fo = [r["failover_ms"] for r in ok]
                gap = [r["gap_ms"] for r in ok]
                s.update(failover_median_ms=statistics.median(fo), failover_worst_ms=max(fo),
                         gap_median_ms=statistics.median(gap), gap_worst_ms=max(gap))
            out[impl] = s
        return out

    def report(self) -> None:
        summ = self.summary()
        print(f"\n### L2 failover, node killed (link down + SIGKILL), probe every {PROBE_INTERVAL_MS:g} ms, "
              f"{self.args.rounds} rounds\n")
        print("| announcer | measured / failed / unsettled | failover median | failover worst | "
              "client gap median | client gap worst |")
        print("|---|---|---|---|---|---|")
        for impl, s in summ.items():
            counts = f"{s['measured']} / {s['failed']} / {s['unsettled']}"
            if "failover_median_ms" in s:
                print(f"| {impl} | {counts} | {s['failover_median_ms']:.1f} ms | "
                      f"{s['failover_worst_ms']:.1f} ms | {s['gap_median_ms']:.1f} ms | {s['gap_worst_ms']:.1f} ms |")
            else:
                print(f"| {impl} | {counts} | — | — | — | — |")
        print("\n(failed: no other node answered within the wait; unsettled: another node already answered "
              "between the probe's start and the kill, so the round measures no failover)")
        for iname, ing in summ.items():
            if not iname.startswith("ingot"):
                continue
            for impl, s in summ.items():
                if not impl.startswith("keepalived") or "failover_median_ms" not in s:
                    continue
                if "failover_median_ms" not in ing:
                    print(f"ratio {impl} / {iname}: none, {iname} failed over in no round")
                    continue
                print(f"ratio {impl} / {iname}: failover median "
                      f"{s['failover_median_ms'] / ing['failover_median_ms']:.2f}x, worst "
                      f"{s['failover_worst_ms'] / ing['failover_worst_ms']:.2f}x; client gap median "
                      f"{s['gap_median_ms'] / ing['gap_median_ms']:.2f}x, worst "
                      f"{s['gap_worst_ms'] / ing['gap_worst_ms']:.2f}x")
        for impl, note in self.notes.items():
            print(f"note ({impl}): {note}")
        load = Path("/proc/loadavg").read_text().split()[:3]
        print(f"\nrun took {time.monotonic() - self.t0:.1f} s; load average at end {' '.join(load)}")


def analyse(data: dict, t_kill: float, dead: str) -> dict:
    """Failover and gap of one round from the probe's replies ([t, node], CLOCK_MONOTONIC)."""
    replies = data["replies"]
    after = [(t, n) for t, n in replies if t > t_kill and n != dead]
    res = {"sent": data["sent"], "replies": len(replies), "lost": data["sent"] - len(replies),
           "failover_ms": None, "gap_ms": None, "new_owner": None,
           "replies_before_kill": sum(1 for t, _ in replies if t <= t_kill),
           # Another node answering before the kill means the announcers were not settled (e.g. a
           # backup missed adverts on this loaded machine and took over): such a round does not
           # measure a failover and is kept out of the medians.
           "others_before_kill": sum(1 for t, n in replies if t <= t_kill and n != dead),
           "answered_by": sorted({n for _, n in replies})}
    res["stable"] = res["others_before_kill"] == 0 and res["replies_before_kill"] > 0
    if not res["replies_before_kill"]:
        res["error"] = "no reply before the kill"
    if after:
        t_new, new = after[0]
        before = [t for t, _ in replies if t < t_new]
        seq = [n for t, n in replies if t >= t_new]
        res["changes_after"] = sum(1 for a, b in zip(seq, seq[1:]) if a != b)
        res.update(failover_ms=(t_new - t_kill) * 1000, new_owner=new,
                   gap_ms=(t_new - before[-1]) * 1000 if before else None,
                   last_dead_reply_ms=(max((t for t, n in replies if n == dead), default=t_kill) - t_kill) * 1000,
                   owners_after=sorted({n for t, n in replies if t >= t_new}))
    return res


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--ingot", type=Path, default=Path(os.environ.get("INGOT_BIN", REPO / "build" / "ingot")))
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--impls", default="keepalived-0.01,keepalived-1,ingot")
    p.add_argument("--ingot-tuned-args", default="--ml-probe-interval-ms 10 --ml-probe-timeout-ms 5",
                   help="extra `ingot run` flags of the ingot-tuned row (only run when --impls names it)")
    p.add_argument("--settle", type=float, default=3.0, help="seconds between first answer and the probe")
    p.add_argument("--wait", type=float, default=0.0, help="seconds after the kill (default: per implementation)")
    p.add_argument("--json", type=Path, help="also write every round here")
    p.add_argument("--workdir", type=Path, help="logs and configuration (default: a new /tmp dir)")
    args = p.parse_args()
    args.impls = args.impls.split(",")
    bad = [i for i in args.impls if i not in WAIT_S]
    if bad:
        p.error(f"unknown implementation {bad}; known: {', '.join(WAIT_S)}")
    if any(i.startswith("ingot") for i in args.impls) and not args.ingot.is_file():
        p.error(f"{args.ingot} not found")
    if os.geteuid() != 0:
        p.error("needs root (network namespaces)")
    if args.workdir is None:
        import tempfile
        args.workdir = Path(tempfile.mkdtemp(prefix="bench-l2-failover-"))

    def on_signal(signo, frame):
        raise SystemExit(f"stopped by signal {signo}")
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    kv = subprocess.run(["keepalived", "--version"], capture_output=True, text=True)
    print(f"kernel {os.uname().release}, {os.cpu_count()} CPUs; {(kv.stdout + kv.stderr).splitlines()[0]}; "
          f"ingot {args.ingot}; {args.rounds} rounds of {', '.join(args.impls)}; logs in {args.workdir}; "
          f"load average {' '.join(Path('/proc/loadavg').read_text().split()[:3])}", flush=True)
    bench = Bench(args)
    try:
        bench.setup()
        bench.run()
    finally:
        bench.close()
    bench.report()
    doc = {"summary": bench.summary(), "notes": bench.notes, "rounds": bench.rounds}
    print(json.dumps(doc))
    if args.json:
        args.json.write_text(json.dumps(doc, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
