"""Layer-2 benchmark (issue 6): ingot's ARP/NDP responder against the kernel under a request flood.

    sudo /usr/bin/python3 bench/bench_l2.py [--build DIR] [--rates 5000,10000,20000,0]
                                            [--duration 3] [--families 4,6] [--nice N] [--json FILE]

Builds the layer-2 lab of the system tests (tests/system/fixtures/netns.py: a bridge, a client
and two node namespaces), then, in the same run and with the same generator (bench/l2_flood,
running in the client namespace), floods at each rate (0 = unpaced) three responders in turn:

  ingot   the l2-announce driver (tests/system/drivers/l2) in node1, owning X. node1 is a
          strictARP node (arp_ignore=1, arp_announce=2) and X is on no interface, so only ingot
          answers. A fresh driver is started for each cell and stopped by PID after it, so it does
          not see the other cells' broadcasts.
  kernel  Y configured as a secondary address on node2's eth0, node2 with the default ARP
          settings (arp_ignore=0, arp_announce=0): Linux answers.
  none    Z, which nobody owns: the generator's own cost plus the bridge and both nodes' kernels
          dropping the broadcasts, with no reply. Subtracted to estimate each responder's CPU.

"late %" is the share of requests the generator sent behind schedule, back to back with the one
before (up to 16), because it woke up late: on a busy machine a paced flood is partly bursty, the
same for every responder.

With --nice, the generator (and so the kernel responder's work done in its context) and the
ingot driver get the same nice value; ksoftirqd keeps its own.

The order of ingot and kernel alternates from rate to rate, so slow drift on this shared machine
does not always favour one side.

CPU, and what it means. The kernel answers ARP in softirq, mostly inside the generator's own
send() (veth hands the frame to the per-CPU backlog, which runs when send() re-enables bottom
halves), so no process of its own shows it. Machine-wide /proc/stat is useless here (other tenants
keep both vCPUs busy) and tick-sampled utime/stime are coarse, so CPU is read from the scheduler's
exact per-process run time (CLOCK_PROCESS_CPUTIME_ID / the clock of another PID: sum_exec_runtime,
which includes softirq work done while that task was current). Each cell reports
  cell CPU      = generator + ingot driver + all ksoftirqd threads, in µs per request sent;
  responder CPU = cell CPU minus the "none" cell's per-request cost at the same rate, per reply:
                  the cost of answering (the responder plus carrying the reply back to the client
                  and receiving it there), for ingot and for the kernel alike;
  ingot proc    = the driver process alone (its user time, its syscalls, and the softirq work run
                  in its context, which includes delivering its replies), µs per reply and % of
                  one CPU.
Softirq work that happens to run on an interrupt exit inside another tenant's task is missed (it
is charged to that task); with veth this is rare, but it makes the kernel's figure a lower bound.

Everything runs inside the lab's namespaces; every process is stopped by PID and every
namespace is deleted at the end, also on an error or a signal. The whole run is bounded
(DEADLINE_S); cells that would start after it are skipped and reported as skipped.
"""
from __future__ import annotations

import argparse
import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "system"))

from fixtures import netns  # noqa: E402

DEADLINE_S = 170.0
WAIT_MS = 300

# Addresses (documentation ranges, inside the lab only): X for ingot, Y for the kernel, Z for
# nobody, all in the node LAN's layer-2 service range; request sender addresses come from
# SRC_BASE + slot (64 slots, see l2_flood.c for why so few).
ADDR = {
    4: {"ingot": "192.0.2.201", "kernel": "192.0.2.202", "none": "192.0.2.203",
        "src_base": "192.0.2.64", "plen": 24},
    6: {"ingot": "2001:db8:1::5e01", "kernel": "2001:db8:1::5e02", "none": "2001:db8:1::5e03",
        "src_base": "2001:db8:1::1:0", "plen": 64},
}


def proc_cpu_ms(pid: int) -> float:
    """Scheduler run time of process `pid` (all its threads) in ms, from its CPU-time clock
    (MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED) = (~pid << 3) | 2); 0 when it is gone."""
    try:
        return time.clock_gettime(((~pid) << 3) | 2) * 1000.0
    except OSError:
        return 0.0


def ksoftirqd_pids() -> list[int]:
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if d.joinpath("comm").read_text().startswith("ksoftirqd/"):
                    pids.append(int(d.name))
            except OSError:
                pass
    return pids


class Ingot:
    """One l2-announce process in node1 owning one IP, stopped by PID."""

    def __init__(self, node, driver: Path, ip: str, nice: int = 0):
        self.node = node
        # No burst and no refresh: one gratuitous announcement at start, then only replies.
        self.proc = node.popen([driver, "--interface", "eth0", "--burst", "0", "--refresh-ms", "0", ip],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        if self._line(5.0) != "ready":
            self.stop()
            raise RuntimeError("l2-announce did not start")
        if nice:
            os.setpriority(os.PRIO_PROCESS, self.proc.pid, nice)

    def _line(self, timeout: float) -> str:
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            raise TimeoutError("no answer from l2-announce")
        return self.proc.stdout.readline().decode().strip()

    def counters(self) -> dict:
        self.proc.stdin.write(b"counters\n")
        self.proc.stdin.flush()
        return json.loads(self._line(5.0))

    def stop(self) -> None:
        self.node.stop(self.proc)


class Bench:
    def __init__(self, args):
        self.args = args
        self.t0 = time.monotonic()
        self.created: list[netns.Netns] = []
        self.results: list[dict] = []
        self.skipped: list[str] = []

    def new_ns(self, label, cls=netns.Netns):
        ns = cls(label)
        self.created.append(ns)
        return ns

    def close(self) -> None:
        for ns in reversed(self.created):
            try:
                ns.close()
            except Exception as exc:  # keep closing the others
                print(f"cleanup of {ns}: {exc}", file=sys.stderr)

    def setup(self) -> None:
        topo = netns.Topology(self.new_ns)
        self.lab = netns.build_l2_lab(topo, 2)
        self.node1, self.node2 = self.lab.nodes
        self.client = self.lab.client
        # node2: a plain host, the kernel answering for an address configured on its interface.
        for conf in ("all", "default", "eth0"):
            self.node2.sysctl(f"net.ipv4.conf.{conf}.arp_ignore", 0)
            self.node2.sysctl(f"net.ipv4.conf.{conf}.arp_announce", 0)
        for fam in self.args.families:
            a = ADDR[fam]
            self.node2.add_addr(f"{a['kernel']}/{a['plen']}", "eth0")
        # Let the bridge learn every MAC before the first cell.
        for ns in (self.client, self.node1, self.node2):
            ns.run(["ping", "-c", "1", "-W", "1", self.lab.lan.v4_host(2 if ns is not self.client else 11)],
                   check=False)

    def flood(self, fam: int, target: str, rate: int, duration: float) -> dict:
        a = ADDR[fam]
        count = int(rate * duration) + 1 if rate else 2_000_000
        nice = ["nice", "-n", self.args.nice] if self.args.nice else []
        cmd = [*nice, self.args.flood, "--interface", "eth0", "--target", target, "--src-base", a["src_base"],
               "--rate", rate, "--count", count, "--duration", duration, "--wait-ms", WAIT_MS]
        r = self.client.run(cmd, timeout=duration + WAIT_MS / 1000 + 5)
        return json.loads(r.stdout)

    def cell(self, fam: int, responder: str, rate: int) -> dict:
        target = ADDR[fam][responder]
        ingot = Ingot(self.node1, self.args.driver, target, self.args.nice) if responder == "ingot" else None
        try:
            ksi = ksoftirqd_pids()
            ksi0 = sum(proc_cpu_ms(p) for p in ksi)
            ing0 = proc_cpu_ms(ingot.proc.pid) if ingot else 0.0
            res = self.flood(fam, target, rate, self.args.duration)
            ing1 = proc_cpu_ms(ingot.proc.pid) if ingot else 0.0
            ksi1 = sum(proc_cpu_ms(p) for p in ksi)
            counters = ingot.counters() if ingot else None
        finally:
            if ingot:
                ingot.stop()
        res.update(family=fam, responder=responder, rate=rate, target=target, ingot_counters=counters,
                   ingot_cpu_ms=ing1 - ing0, ksoftirqd_cpu_ms=ksi1 - ksi0)
        res["cell_cpu_ms"] = res["gen_cpu_ms"]["cpu"] + res["ingot_cpu_ms"] + res["ksoftirqd_cpu_ms"]
        res["cell_us_per_req"] = res["cell_cpu_ms"] * 1000 / max(res["sent"], 1)
        return res

    def run(self) -> None:
        fams = self.args.families
        plan = []
        for fam in fams:
            for i, rate in enumerate(self.args.rates):
                order = ["ingot", "kernel"] if i % 2 == 0 else ["kernel", "ingot"]
                plan += [(fam, r, rate) for r in order + ["none"]]
        # A short warm-up per family (not recorded): neighbour entries, caches, bridge learning.
        for fam in fams:
            self.flood(fam, ADDR[fam]["kernel"], 2000, 0.2)
        per_cell = self.args.duration + WAIT_MS / 1000 + 0.8
        for fam, responder, rate in plan:
            if time.monotonic() - self.t0 + per_cell > DEADLINE_S:
                self.skipped.append(f"IPv{fam} {responder} {rate or 'unpaced'}")
                continue
            res = self.cell(fam, responder, rate)
            self.results.append(res)
            print(f"  IPv{fam} {responder:6} rate {rate or 'unpaced':>7}: sent {res['send_rate']:9.0f}/s "
                  f"replies {res['reply_rate']:9.0f}/s ({res['reply_ratio']:.4f}) "
                  f"wire p50/p99 {res['wire_us']['p50']:.1f}/{res['wire_us']['p99']:.1f} us "
                  f"cell CPU {res['cell_us_per_req']:.2f} us/req", flush=True)
            for key in ("unmatched", "other_mac", "send_errors", "no_stamp"):
                if res[key]:
                    print(f"    warning: {key} = {res[key]}", flush=True)

    @staticmethod
    def responder_us(r: dict, none: dict | None) -> float | None:
        """CPU per reply spent answering: the cell's CPU minus what the same number of requests
        cost when nobody answers (the "none" cell at the same rate)."""
        if not none or not r["received"]:
            return None
        return (r["cell_cpu_ms"] * 1000 - none["cell_us_per_req"] * r["sent"]) / r["received"]

    def report(self) -> None:
        by = {(r["family"], r["responder"], r["rate"]): r for r in self.results}
        rates = self.args.rates
        for fam in self.args.families:
            proto = "ARP" if fam == 4 else "NDP (NS/NA)"
            print(f"\n### IPv{fam} {proto}: {self.args.duration:g} s per cell\n")
            print("| rate | responder | sent/s (late %) | replies/s | answered | wire µs p50 / p99 / max | "
                  "user µs p50 / p99 | cell CPU µs/req | responder CPU µs/reply | "
                  "ingot proc µs/reply (% CPU) | drops: ingot sock / softnet / gen |")
            print("|---|---|---|---|---|---|---|---|---|---|---|")
            for rate in rates:
                none = by.get((fam, "none", rate))
                for who in ("ingot", "kernel", "none"):
                    r = by.get((fam, who, rate))
                    if not r:
                        continue
                    w, u, c = r["wire_us"], r["user_us"], r["ingot_counters"]
                    got = r["received"] > 0
                    lat = f"{w['p50']:.1f} / {w['p99']:.1f} / {w['max']:.0f}" if got else "—"
                    ulat = f"{u['p50']:.1f} / {u['p99']:.1f}" if got else "—"
                    resp = self.responder_us(r, none) if who != "none" else None
                    proc = (f"{r['ingot_cpu_ms'] * 1000 / r['received']:.1f} "
                            f"({100 * r['ingot_cpu_ms'] / 1000 / r['send_s']:.0f} %)") if c and got else "—"
                    late = f" ({100 * r['late'] / max(r['sent'], 1):.0f} %)" if rate else ""
                    print(f"| {rate or 'unpaced'} | {who} | {r['send_rate']:.0f}{late} | {r['reply_rate']:.0f} | "
                          f"{r['reply_ratio']:.4f} | {lat} | {ulat} | {r['cell_us_per_req']:.2f} | "
                          f"{'—' if resp is None else f'{resp:.2f}'} | {proc} | "
                          f"{c['dropped'] if c else '—'} / {r['softnet_dropped']} / {r['gen_rx_drops']} |")
            print(f"\nIPv{fam} ratios ingot / kernel (same rate, same run; > 1 means ingot is higher):\n")
            print("| rate | replies/s | wire p50 | wire p99 | user p50 | user p99 | responder CPU per reply |")
            print("|---|---|---|---|---|---|---|")

            def ratio(a, b):
                return f"{a / b:.2f}" if a is not None and b and b > 0 and a >= 0 else "—"
            for rate in rates:
                i, k, n = (by.get((fam, w, rate)) for w in ("ingot", "kernel", "none"))
                if not (i and k and i["received"] and k["received"]):
                    continue
                print(f"| {rate or 'unpaced'} | {ratio(i['reply_rate'], k['reply_rate'])} | "
                      f"{ratio(i['wire_us']['p50'], k['wire_us']['p50'])} | "
                      f"{ratio(i['wire_us']['p99'], k['wire_us']['p99'])} | "
                      f"{ratio(i['user_us']['p50'], k['user_us']['p50'])} | "
                      f"{ratio(i['user_us']['p99'], k['user_us']['p99'])} | "
                      f"{ratio(self.responder_us(i, n), self.responder_us(k, n))} |")
        if self.skipped:
            print(f"\nskipped (time bound {DEADLINE_S:.0f} s): {', '.join(self.skipped)}")
        load = Path("/proc/loadavg").read_text().split()[:3]
        print(f"\nrun took {time.monotonic() - self.t0:.1f} s; load average at end {' '.join(load)}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build", type=Path, default=REPO / "build", help="meson build dir (default build/)")
    p.add_argument("--rates", default="5000,10000,20000,0", help="requests/s, 0 = unpaced")
    p.add_argument("--duration", type=float, default=3.0, help="seconds of flooding per cell")
    p.add_argument("--families", default="4,6", help="4 (ARP), 6 (NDP) or both")
    p.add_argument("--nice", type=int, default=0,
                   help="run the generator and the ingot driver at this nice value (e.g. -10), "
                        "to shield both from other CPU-bound work on a shared machine")
    p.add_argument("--json", type=Path, help="also write every cell's raw figures here")
    args = p.parse_args()
    args.rates = [int(r) for r in args.rates.split(",")]
    args.families = [int(f) for f in args.families.split(",")]
    if not 0.2 <= args.duration <= 10 or any(f not in (4, 6) for f in args.families) \
            or any(not 0 <= r <= 1_000_000 for r in args.rates) or not -20 <= args.nice <= 19:
        p.error("duration 0.2-10 s, families 4/6, rates 0-1000000, nice -20..19")
    args.driver = args.build / "tests" / "system" / "drivers" / "l2" / "l2-announce"
    args.flood = args.build / "bench" / "l2_flood"
    for f in (args.driver, args.flood):
        if not f.is_file():
            p.error(f"{f} not found: build with `meson setup {args.build} && ninja -C {args.build}`")
    if os.geteuid() != 0:
        p.error("needs root (network namespaces)")

    def on_signal(signo, frame):
        raise SystemExit(f"stopped by signal {signo}")
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    bench = Bench(args)
    try:
        print(f"kernel {os.uname().release}, {os.cpu_count()} CPUs; rates {args.rates}; "
              f"{args.duration:g} s per cell; nice {args.nice}; load average "
              f"{' '.join(Path('/proc/loadavg').read_text().split()[:3])}", flush=True)
        bench.setup()
        bench.run()
    finally:
        bench.close()
    bench.report()
    if args.json:
        args.json.write_text(json.dumps(bench.results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
