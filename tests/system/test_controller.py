"""`ingot controller` against a real kube-apiserver (tests/system/fixtures/cluster.py).

The seed (bgp.yml + nginx.yml gives EXTERNAL-IP 198.51.100.1, from the legacy ConfigMap and from the CRDs that
`ingot config convert` makes of it), then one case per rule: requested IPs, sharing allowed and refused,
dual-stack, an exhausted pool, an invalid configuration kept out, loadBalancerClass filtering, a Service that
stops being a LoadBalancer, leader election hand-over, the API server restarted mid-watch, a forced 410 relist,
and kill -9 of the controller with 1,000 Services.

Each test runs its own controller, reading its configuration from the test's namespace (--namespace) unless
the test is about metallb-system, and deletes its Services at the end: no controller-manager runs here, so a
deleted namespace keeps its objects, and the next test's controller would otherwise see them.
"""

from __future__ import annotations

import concurrent.futures
import http.client
import json
import re
import signal
import ssl
import subprocess
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "system" / "data"
CRDS = REPO / "deploy" / "crds"
CRD_NAMES = ["ipaddresspools", "l2advertisements", "bgpadvertisements", "bgppeers", "communities",
             "bfdprofiles"]


# --- helpers ----------------------------------------------------------------------------------------------

def wait_until(pred, timeout: float = 10, interval: float = 0.05, what: str = ""):
    """Polls PRED until it returns something truthy; returns that, or fails after TIMEOUT seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what or pred}")
        time.sleep(interval)


class Controller:
    """One `ingot controller` process; its log (stderr, text format) goes to a file."""

    def __init__(self, ingot_bin, cluster, log: Path, *args):
        self.log = log
        self.argv = [str(ingot_bin), "controller", "--kubeconfig", cluster.kubeconfig, *map(str, args)]
        self.file = open(log, "ab")
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=self.file, stderr=self.file)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_log(self, pattern: str, timeout: float = 15, count: int = 1) -> str:
        rx = re.compile(pattern)
        return wait_until(lambda: len(rx.findall(self.text())) >= count and self.text(), timeout,
                          what=f"log line /{pattern}/ in {self.log}")

    def signal(self, signo):
        self.proc.send_signal(signo)

    def stop(self, timeout: float = 10) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.file.close()
        return self.proc.returncode

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.file.close()


@pytest.fixture
def start_controller(ingot_bin, cluster, tmp_path):
    """start_controller(*args) starts a controller; every one is stopped (SIGTERM, by PID) after the test,
    and its exit code must be 0 unless the test killed it."""
    started = []

    def start(*args, name: str = "controller") -> Controller:
        c = Controller(ingot_bin, cluster, tmp_path / f"{name}-{len(started)}.log", *args)
        started.append(c)
        return c

    yield start
    for c in started:
        if c.proc.poll() is None:
            rc = c.stop()
            assert rc == 0, f"controller exit code {rc}\n{c.text()[-3000:]}"


@pytest.fixture(scope="module", autouse=True)
def no_leftover_lb_services(cluster):
    """Other test files leave LoadBalancer Services with status behind in their deleted (Terminating)
    namespaces; a real cluster would have removed them. Remove them so they hold no addresses here."""
    cluster.clear_deleted_test_namespaces()
    yield


@pytest.fixture
def ns(cluster, testns):
    """The test's namespace; its Services are deleted at the end (see the module docstring)."""
    yield testns
    delete_all_services(cluster, testns)


@pytest.fixture(scope="module")
def crds(cluster):
    cluster.kubectl("apply", "-k", CRDS)
    for name in CRD_NAMES:
        cluster.kubectl("wait", "--for=condition=Established", "--timeout=60s", f"crd/{name}.metallb.io")
    return cluster


def legacy_config(namespace: str, pools: str) -> str:
    """A MetalLB ConfigMap named config in NAMESPACE; POOLS is the YAML list under address-pools."""
    body = "\n".join("    " + line for line in ("address-pools:\n" + pools.strip("\n")).splitlines())
    return (f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: config\n  namespace: {namespace}\n"
            f"data:\n  config: |\n{body}\n")


def service(name: str, ports=((80, "TCP"),), annotations: dict | None = None, spec: dict | None = None,
            labels: dict | None = None) -> dict:
    s = {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": name, "annotations": annotations or {}, "labels": labels or {}},
         "spec": {"type": "LoadBalancer", "selector": {"app": name}, "allocateLoadBalancerNodePorts": False,
                  "ports": [{"name": f"p{p}-{proto.lower()}", "port": p, "protocol": proto}
                            for p, proto in ports]}}
    s["spec"].update(spec or {})
    return s


def apply_services(cluster, namespace: str, *services: dict):
    """All SERVICES in one `kubectl apply -f -` of a List."""
    cluster.apply(json.dumps({"apiVersion": "v1", "kind": "List", "items": list(services)}),
                  namespace=namespace)


def api_requests(cluster, requests, threads: int = 8):
    """Sends REQUESTS ((method, path, body or None) tuples) straight to the API server from THREADS
    keep-alive connections. A 1,000-item List through `kubectl apply` (or a `kubectl delete --all`) costs
    a minute on a loaded 2-core machine: one request after another, a GET before each write."""
    host, port = cluster.server.removeprefix("https://").rsplit(":", 1)
    ctx = ssl.create_default_context(cafile=cluster.ca)
    ctx.load_cert_chain(cluster.admin_cert, cluster.admin_key)
    local = threading.local()

    def send(req):
        method, path, body = req
        for attempt in range(3):
            conn = getattr(local, "conn", None)
            if conn is None:
                conn = local.conn = http.client.HTTPSConnection(host.strip("[]"), int(port), context=ctx,
                                                                timeout=60)
            try:
                conn.request(method, path, body=None if body is None else json.dumps(body),
                             headers={"Content-Type": "application/json"})
                resp = conn.getresponse()
                data = resp.read()
                if resp.status < 300 or resp.status in (404, 409):
                    return
                raise AssertionError(f"{method} {path}: {resp.status} {data[:300]!r}")
            except (OSError, http.client.HTTPException):
                conn.close()
                local.conn = None
                if attempt == 2:
                    raise

    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        list(pool.map(send, requests))


def create_services(cluster, namespace: str, services, threads: int = 8):
    path = f"/api/v1/namespaces/{namespace}/services"
    api_requests(cluster, [("POST", path, s) for s in services], threads)


def delete_all_services(cluster, namespace: str):
    names = cluster.kubectl("get", "services", "-n", namespace, "-o", "name").stdout.split()
    api_requests(cluster, [("DELETE", f"/api/v1/namespaces/{namespace}/services/{n.split('/', 1)[1]}", None)
                           for n in names])


def ingress_ips(cluster, namespace: str) -> dict[str, list[str]]:
    """name -> status.loadBalancer.ingress IPs of every Service in NAMESPACE."""
    items = cluster.get_json("services", "-n", namespace)["items"]
    return {s["metadata"]["name"]: [i.get("ip") for i in s.get("status", {}).get("loadBalancer", {})
                                    .get("ingress", [])] for s in items}


def wait_ips(cluster, namespace: str, name: str, n: int = 1, timeout: float = 10) -> list[str]:
    return wait_until(lambda: (lambda ips: ips if len(ips) == n else None)(
        ingress_ips(cluster, namespace).get(name, [])), timeout, what=f"{n} IP(s) on {namespace}/{name}")


def external_ip_column(cluster, namespace: str, name: str) -> str:
    header, *rows = cluster.kubectl("get", "service", "-n", namespace).stdout.splitlines()
    col = header.split().index("EXTERNAL-IP")
    (row,) = [r.split() for r in rows if r.split()[0] == name]
    return row[col]


def events(cluster, namespace: str, name: str, kind: str = "Service") -> list[tuple[str, str, str]]:
    items = cluster.get_json("events", "-n", namespace, "--field-selector",
                             f"involvedObject.name={name},involvedObject.kind={kind}")["items"]
    return [(e.get("type"), e.get("reason"), e.get("message")) for e in items]


def wait_event(cluster, namespace: str, name: str, reason: str, kind: str = "Service", timeout: float = 10):
    return wait_until(lambda: [e for e in events(cluster, namespace, name, kind) if e[1] == reason],
                      timeout, what=f"{reason} event on {kind} {namespace}/{name}")


def log_times(text: str, pattern: str) -> list[float]:
    """The timestamps (seconds since midnight UTC) of the log lines matching PATTERN."""
    rx = re.compile(pattern)
    out = []
    for line in text.splitlines():
        m = re.match(r"\d{4}-\d\d-\d\dT(\d\d):(\d\d):(\d\d\.\d+)Z ", line)
        if m and rx.search(line):
            out.append(int(m[1]) * 3600 + int(m[2]) * 60 + float(m[3]))
    return out


def seconds_since_midnight_utc() -> float:
    now = time.time()
    return now % 86400


def write_ms(text: str, key: str) -> int:
    """How long the controller took from seeing a change of KEY to its status being written."""
    (ms,) = re.findall(rf"msg=\"service status written\" service={re.escape(key)} ms=(\d+)", text)[:1]
    return int(ms)


def annotation(cluster, namespace: str, name: str, key: str):
    svc = cluster.get_json("service", name, "-n", namespace)
    return svc["metadata"].get("annotations", {}).get(key)


# --- the seed ---------------------------------------------------------------------------------------------

def seed_nginx_gets_first_address(cluster, namespace: str, controller: Controller):
    controller.wait_log(r"imported existing assignments")
    cluster.apply((DATA / "nginx.yml").read_text(), namespace=namespace)
    wait_until(lambda: external_ip_column(cluster, namespace, "nginx") == "198.51.100.1", timeout=5,
               what="EXTERNAL-IP 198.51.100.1")
    # "within a second": from the watch event to the status written, as the controller measured it
    # (kubectl's own latency on a loaded test machine is not the controller's)
    assert write_ms(controller.text(), f"{namespace}/nginx") < 1000
    assert annotation(cluster, namespace, "nginx", "metallb.io/ip-allocated-from-pool") == "my-ip-space"
    (ev,) = wait_event(cluster, namespace, "nginx", "IPAllocated")
    assert ev[0] == "Normal" and "198.51.100.1" in ev[2]


def test_seed_legacy_configmap(cluster, ns, start_controller):
    cluster.kubectl("create", "namespace", "metallb-system", check=False)
    cluster.kubectl("apply", "-f", DATA / "bgp.yml")
    try:
        c = start_controller()
        seed_nginx_gets_first_address(cluster, ns, c)
        assert "source=configmap" in c.text()
    finally:
        cluster.kubectl("delete", "-f", DATA / "bgp.yml", "--wait=false", check=False)


def test_seed_crds(cluster, crds, ns, ingot_bin, start_controller):
    cfgns = ns  # the converted CRDs live in the test namespace; the controller reads them there
    converted = subprocess.run([str(ingot_bin), "config", "convert", str(DATA / "bgp.yml")],
                               capture_output=True, text=True, check=True).stdout
    cluster.apply(converted.replace("namespace: metallb-system", f"namespace: {cfgns}"))
    # a legacy ConfigMap beside them is ignored, and the log says so
    cluster.apply(legacy_config(cfgns, """
- name: ignored
  protocol: layer2
  addresses: [10.9.0.0/24]
"""))
    c = start_controller("--namespace", cfgns)
    seed_nginx_gets_first_address(cluster, ns, c)
    assert "source=crds" in c.text()
    assert "the metallb.io objects are used" in c.text()
    # IPAddressPool status counters
    pool = wait_until(lambda: (lambda p: p if p.get("status", {}).get("assignedIPv4") == 1 else None)(
        cluster.get_json("ipaddresspool", "my-ip-space", "-n", cfgns)), what="pool status counters")
    assert pool["status"]["assignedIPv6"] == 0
    assert pool["status"]["availableIPv4"] == 253   # 256 minus .0 and .255 (avoid-buggy-ips), minus one


# --- the rules ----------------------------------------------------------------------------------------------

def test_requested_ips(cluster, ns, start_controller):
    cluster.apply(legacy_config(ns, """
- name: main
  protocol: layer2
  addresses: [10.10.0.0/24]
"""))
    c = start_controller("--namespace", ns)
    c.wait_log("imported existing assignments")
    apply_services(cluster, ns,
                   service("by-spec", spec={"loadBalancerIP": "10.10.0.7"}),
                   service("by-annotation", annotations={"metallb.io/loadBalancerIPs": "10.10.0.9"}),
                   service("deprecated", annotations={"metallb.universe.tf/loadBalancerIPs": "10.10.0.11"}),
                   service("outside", annotations={"metallb.io/loadBalancerIPs": "192.0.2.1"}),
                   service("any"))
    assert wait_ips(cluster, ns, "by-spec") == ["10.10.0.7"]
    assert wait_ips(cluster, ns, "by-annotation") == ["10.10.0.9"]
    assert wait_ips(cluster, ns, "deprecated") == ["10.10.0.11"]
    assert wait_ips(cluster, ns, "any") == ["10.10.0.0"]
    (ev,) = wait_event(cluster, ns, "outside", "AllocationFailed")
    assert ev[0] == "Warning"
    assert ingress_ips(cluster, ns)["outside"] == []
    (dep,) = wait_event(cluster, ns, "deprecated", "deprecatedAnnotation")
    assert dep[0] == "Warning" and "metallb.io/loadBalancerIPs" in dep[2]


def test_sharing_allowed_and_refused(cluster, ns, start_controller):
    cluster.apply(legacy_config(ns, """
- name: main
  protocol: layer2
  addresses: [10.11.0.10-10.11.0.20]
"""))
    c = start_controller("--namespace", ns)
    c.wait_log("imported existing assignments")
    key = {"metallb.io/allow-shared-ip": "web"}
    apply_services(cluster, ns, service("http", ports=[(80, "TCP")], annotations=key),
                   service("https", ports=[(443, "TCP")], annotations=key))
    http, https = wait_ips(cluster, ns, "http"), wait_ips(cluster, ns, "https")
    assert http == https == ["10.11.0.10"]
    # the same port on the same address: refused, stays pending
    apply_services(cluster, ns, service("clash", ports=[(80, "TCP")],
                                        annotations={**key, "metallb.io/loadBalancerIPs": "10.11.0.10"}))
    (ev,) = wait_event(cluster, ns, "clash", "AllocationFailed")
    assert ev[0] == "Warning"
    # no key: never shares
    apply_services(cluster, ns, service("alone", ports=[(8080, "TCP")],
                                        annotations={"metallb.io/loadBalancerIPs": "10.11.0.10"}))
    wait_event(cluster, ns, "alone", "AllocationFailed")
    assert ingress_ips(cluster, ns)["clash"] == [] and ingress_ips(cluster, ns)["alone"] == []


def test_dual_stack(cluster, ns, start_controller):
    cluster.apply(legacy_config(ns, """
- name: dual
  protocol: layer2
  addresses: [10.12.0.0/28, "2001:db8:12::/124"]
"""))
    c = start_controller("--namespace", ns)
    c.wait_log("imported existing assignments")
    apply_services(cluster, ns,
                   service("both", spec={"ipFamilyPolicy": "RequireDualStack", "ipFamilies": ["IPv4", "IPv6"]}),
                   service("v6", spec={"ipFamilyPolicy": "SingleStack", "ipFamilies": ["IPv6"]}),
                   service("prefer", spec={"ipFamilyPolicy": "PreferDualStack", "ipFamilies": ["IPv6", "IPv4"]}))
    assert wait_ips(cluster, ns, "both", 2) == ["10.12.0.0", "2001:db8:12::"]
    assert wait_ips(cluster, ns, "v6") == ["2001:db8:12::1"]
    assert sorted(wait_ips(cluster, ns, "prefer", 2)) == ["10.12.0.1", "2001:db8:12::2"]


def test_exhausted_pool_pending_then_assigned(cluster, ns, start_controller):
    cluster.apply(legacy_config(ns, """
- name: tiny
  protocol: layer2
  addresses: [10.13.0.1-10.13.0.2]
"""))
    c = start_controller("--namespace", ns)
    c.wait_log("imported existing assignments")
    apply_services(cluster, ns, service("a"), service("b"))
    wait_ips(cluster, ns, "a")
    wait_ips(cluster, ns, "b")
    apply_services(cluster, ns, service("c"))
    (ev,) = wait_event(cluster, ns, "c", "AllocationFailed")
    assert ev[0] == "Warning" and "no available IPs" in ev[2]
    assert ingress_ips(cluster, ns)["c"] == []
    freed = ingress_ips(cluster, ns)["a"]
    cluster.kubectl("delete", "service", "a", "-n", ns)
    assert wait_ips(cluster, ns, "c", timeout=5) == freed
    (released,) = log_times(c.text(), "service released its IPs")
    (assigned,) = log_times(c.text(), f"service assigned\" service={ns}/c ")
    assert assigned - released < 1.0


def test_invalid_config_kept_out(cluster, ns, start_controller):
    cluster.apply(legacy_config(ns, """
- name: good
  protocol: layer2
  addresses: [10.14.0.0/29]
"""))
    c = start_controller("--namespace", ns)
    c.wait_log("imported existing assignments")
    apply_services(cluster, ns, service("before"))
    assert wait_ips(cluster, ns, "before") == ["10.14.0.0"]
    cluster.apply(legacy_config(ns, """
- name: good
  protocol: layer2
  addresses: [10.15.0.0/29]
- name: bad
  protocol: layer2
  addresses: [10.15.0.0/30]
"""))
    c.wait_log("configuration refused")
    (ev,) = wait_event(cluster, ns, "config", "InvalidConfig", kind="ConfigMap")
    assert ev[0] == "Warning" and "overlap" in ev[2]
    apply_services(cluster, ns, service("after"))
    assert wait_ips(cluster, ns, "after") == ["10.14.0.1"]      # still the old pool
    assert ingress_ips(cluster, ns)["before"] == ["10.14.0.0"]
    # a valid change then applies: "before" is not in the new pool and moves
    cluster.apply(legacy_config(ns, """
- name: good
  protocol: layer2
  addresses: [10.16.0.0/29]
"""))
    wait_until(lambda: ingress_ips(cluster, ns)["before"] == ["10.16.0.0"] or
               ingress_ips(cluster, ns)["before"] == ["10.16.0.1"], what="re-homed after a valid change")
    wait_event(cluster, ns, "before", "ClearAssignment")


def test_lb_class_and_type_change(cluster, ns, start_controller):
    cluster.apply(legacy_config(ns, """
- name: main
  protocol: layer2
  addresses: [10.17.0.0/24]
"""))
    c = start_controller("--namespace", ns, "--lb-class", "ingot.example/lb")
    c.wait_log("imported existing assignments")
    apply_services(cluster, ns, service("mine", spec={"loadBalancerClass": "ingot.example/lb"}),
                   service("other", spec={"loadBalancerClass": "someone.else/lb"}),
                   service("none"))
    assert wait_ips(cluster, ns, "mine") == ["10.17.0.0"]
    # the others are not ours: no status, no events
    time.sleep(0.5)   # give a wrong controller time to act; there is nothing to poll for
    ips = ingress_ips(cluster, ns)
    assert ips["other"] == [] and ips["none"] == []
    assert events(cluster, ns, "other") == [] and events(cluster, ns, "none") == []
    # a Service that stops being a LoadBalancer has its status and annotation cleared
    cluster.kubectl("patch", "service", "mine", "-n", ns, "--type=merge",
                    "-p", '{"spec":{"type":"ClusterIP","loadBalancerClass":null}}')
    wait_until(lambda: ingress_ips(cluster, ns)["mine"] == [] and
               annotation(cluster, ns, "mine", "metallb.io/ip-allocated-from-pool") is None,
               what="status and annotation cleared")


# --- leader election -----------------------------------------------------------------------------------

FAST_ELECTION = ["--leader-elect", "--lease-duration", "3", "--renew-deadline", "2", "--retry-period", "0.5"]


def lease_holder(cluster, ns, name="ingot-controller"):
    proc = cluster.kubectl("get", "lease", name, "-n", ns, "-o", "json", check=False)
    return json.loads(proc.stdout)["spec"].get("holderIdentity") if proc.returncode == 0 else None


def test_leader_election_hand_over(cluster, ns, start_controller):
    cluster.apply(legacy_config(ns, """
- name: main
  protocol: layer2
  addresses: [10.18.0.0/24]
"""))
    a = start_controller("--namespace", ns, "--identity", "replica-a", *FAST_ELECTION, name="a")
    wait_until(lambda: lease_holder(cluster, ns) == "replica-a", what="replica-a leads")
    b = start_controller("--namespace", ns, "--identity", "replica-b", *FAST_ELECTION, name="b")
    b.wait_log("leader election started")
    apply_services(cluster, ns, service("one"))
    assert wait_ips(cluster, ns, "one") == ["10.18.0.0"]
    time.sleep(1.5)   # three retry periods: b must stay a follower
    assert lease_holder(cluster, ns) == "replica-a"
    assert "service assigned" not in b.text() and "leading: assigning" not in b.text()

    # graceful: SIGTERM releases the Lease, b takes over within about a retry period
    assert a.stop() == 0
    wait_until(lambda: lease_holder(cluster, ns) == "replica-b", timeout=5, what="replica-b leads")
    (released,) = log_times(a.text(), "lease released")
    (leads,) = log_times(b.wait_log("leading: assigning IPs"), "leading: assigning IPs")
    assert leads - released < 1.5, leads - released
    apply_services(cluster, ns, service("two"))
    assert wait_ips(cluster, ns, "two") == ["10.18.0.1"]       # imported "one" first
    assert ingress_ips(cluster, ns)["one"] == ["10.18.0.0"]

    # a crash: c waits out the lease (3 s) and takes over
    c = start_controller("--namespace", ns, "--identity", "replica-c", *FAST_ELECTION, name="c")
    c.wait_log("leader election started")
    b.kill9()
    killed = seconds_since_midnight_utc()
    wait_until(lambda: lease_holder(cluster, ns) == "replica-c", timeout=10, what="replica-c leads")
    (leads,) = log_times(c.wait_log("leading: assigning IPs"), "leading: assigning IPs")
    assert 2.0 < leads - killed < 5.0, leads - killed     # the 3 s lease, waited out
    apply_services(cluster, ns, service("three"))
    assert wait_ips(cluster, ns, "three") == ["10.18.0.2"]
    lease = cluster.get_json("lease", "ingot-controller", "-n", ns)
    assert lease["spec"]["leaseTransitions"] >= 2


# --- the API server going away -------------------------------------------------------------------------

def test_apiserver_restarted_mid_watch(cluster, ns, start_controller):
    cluster.apply(legacy_config(ns, """
- name: main
  protocol: layer2
  addresses: [10.19.0.0/24]
"""))
    c = start_controller("--namespace", ns)
    c.wait_log("imported existing assignments")
    apply_services(cluster, ns, service("before"))
    assert wait_ips(cluster, ns, "before") == ["10.19.0.0"]
    cluster.stop_apiserver(kill=True)
    time.sleep(1)     # the controller notices the lost watches while the server is gone
    cluster.start_apiserver()
    apply_services(cluster, ns, service("after"))
    assert wait_ips(cluster, ns, "after", timeout=30) == ["10.19.0.1"]
    assert ingress_ips(cluster, ns)["before"] == ["10.19.0.0"]
    assert "status cleared" not in c.text()
    assert "ClearAssignment" not in c.text()


def test_forced_410_relist_frees_deleted_services_address(cluster, ns, start_controller):
    """The controller is frozen (SIGSTOP) across an API server restart and the changes after it; a write
    before the restart moves the resourceVersion on, so its re-watch gets 410 and it lists again. The
    Service deleted meanwhile only shows up as a synthetic delete, which must free its address for the
    pending one."""
    cluster.apply(legacy_config(ns, """
- name: one
  protocol: layer2
  addresses: [10.20.0.5/32]
"""))
    c = start_controller("--namespace", ns)
    c.wait_log("imported existing assignments")
    apply_services(cluster, ns, service("holder"))
    assert wait_ips(cluster, ns, "holder") == ["10.20.0.5"]
    apply_services(cluster, ns, service("waiter"))
    wait_event(cluster, ns, "waiter", "AllocationFailed")
    c.signal(signal.SIGSTOP)
    try:
        cluster.kubectl("create", "configmap", "bump", "-n", ns)
        cluster.restart_apiserver()
        cluster.kubectl("delete", "service", "holder", "-n", ns)
    finally:
        c.signal(signal.SIGCONT)
    assert wait_ips(cluster, ns, "waiter", timeout=30) == ["10.20.0.5"]
    assert "watch expired, listing again" in c.text()


def test_kill9_with_1000_services_keeps_every_ip(cluster, testns, start_controller):
    """The Services carry a loadBalancerClass of their own, so no other test's controller ever handles them
    (deleting 1,000 Services afterwards would cost as much as creating them)."""
    ns = testns
    cluster.apply(legacy_config(ns, """
- name: big
  protocol: layer2
  addresses: [10.21.0.0/16]
"""))
    bulk = ["--lb-class", "ingot.test/bulk"]
    cls = {"loadBalancerClass": "ingot.test/bulk"}
    c = start_controller("--namespace", ns, *bulk)
    c.wait_log("imported existing assignments")
    create_services(cluster, ns, [service(f"s{i:04d}", spec=cls) for i in range(1000)])
    wait_until(lambda: sum(1 for v in ingress_ips(cluster, ns).values() if v) == 1000, timeout=60,
               interval=0.5, what="1000 Services with an IP")
    before = ingress_ips(cluster, ns)
    assert len({tuple(v) for v in before.values()}) == 1000
    c.kill9()
    # While it is down: delete a few (their addresses are free now) and add new Services that sort first.
    # A controller that allocated before importing would hand them addresses the others hold.
    cluster.kubectl("delete", "service", *(f"s{i:04d}" for i in range(0, 1000, 100)), "-n", ns, "--wait=false")
    apply_services(cluster, ns, *(service(f"a{i:02d}", spec=cls) for i in range(20)))
    c2 = start_controller("--namespace", ns, *bulk, name="restarted")
    c2.wait_log("imported existing assignments")
    after = wait_until(lambda: (lambda m: m if sum(1 for v in m.values() if v) == 1010 else None)(
        ingress_ips(cluster, ns)), timeout=60, interval=0.5, what="1010 Services with an IP")
    for name, ips in before.items():
        if name in after:
            assert after[name] == ips, name
    assert len({tuple(v) for v in after.values()}) == 1010
    assert "kept=990 " in c2.text()
