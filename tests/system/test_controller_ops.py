"""`ingot controller`'s operations side against a real kube-apiserver (tests/system/fixtures/cluster.py):
/metrics scraped over HTTP and checked with `promtool check metrics` (Debian's prometheus package) with no
lint problem left out, values that follow allocations, failures and conflicts; /healthz; /readyz failing
before the informers sync (API server unreachable), without a configuration and with a refused one, passing
once a valid one is in force; `ingot status --json` and its tables through --control-socket; a standby
replica's view; the memberlist Secret created once, in MetalLB's format, and never overwritten; and
managedFields, which the controller drops at intake, still on the server after its status writes.

Uses the helpers and fixtures of test_controller.py and the metric-name rules of test_ops.py (same directory).
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from test_controller import (  # noqa: F401  (fixtures are used by name)
    apply_services,
    legacy_config,
    no_leftover_lb_services,
    ns,
    service,
    start_controller,
    wait_ips,
    wait_until,
)
from test_ops import check_metallb_families, promtool_clean

METALLB_POOL_METRICS = ("metallb_allocator_addresses_in_use_total", "metallb_allocator_addresses_total")


# --- helpers ----------------------------------------------------------------------------------------------

def ops_port(controller) -> int:
    text = controller.wait_log(r'msg="serving /metrics /healthz /readyz" .*port=\d+')
    return int(re.search(r'msg="serving /metrics /healthz /readyz" .*port=(\d+)', text)[1])


def get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def samples(text: str) -> dict[str, float]:
    """'name{labels}' -> value of every sample line."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, value = line.rsplit(" ", 1)
            out[key] = float(value)
    return out


def types(text: str) -> dict[str, str]:
    return {line.split()[2]: line.split()[3] for line in text.splitlines() if line.startswith("# TYPE ")}


def scrape(port: int) -> dict[str, float]:
    """/metrics: promtool's whole check clean (lint included), MetalLB's names with their types."""
    code, text = get(port, "/metrics")
    assert code == 200
    promtool_clean(text)
    check_metallb_families(text)
    return samples(text)


def status_json(ingot_bin, sock: Path) -> dict:
    out = subprocess.run([str(ingot_bin), "status", "--json", "--socket", str(sock)], capture_output=True,
                         text=True, timeout=15)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def pools_config(namespace: str, cidr: str = "10.77.0.0/30") -> str:
    return legacy_config(namespace, f"- name: p\n  protocol: layer2\n  addresses: [{cidr}]\n")


def secret(cluster, namespace: str, name: str = "memberlist") -> dict | None:
    out = cluster.kubectl("get", "secret", name, "-n", namespace, "-o", "json", check=False)
    return json.loads(out.stdout) if out.returncode == 0 else None


# --- tests ------------------------------------------------------------------------------------------------

def test_not_ready_before_sync_api_unreachable(cluster, ns, start_controller, tmp_path):
    """Nothing answers at the kubeconfig's server: alive, not ready, API unreachable in metrics and logs."""
    kc = Path(cluster.write_kubeconfig(tmp_path / "kubeconfig"))
    kc.write_text(re.sub(r"server: https://\S+", "server: https://127.0.0.1:9", kc.read_text()))
    c = start_controller("--kubeconfig", kc, "--namespace", ns, "--metrics-addr", "127.0.0.1:0")
    port = ops_port(c)
    assert get(port, "/healthz") == (200, "[+]loop ok\n[+]loop-heartbeat ok\n[+]work-queue ok\n"
                                          "healthz check passed\n")
    code, body = get(port, "/readyz")
    assert code == 503
    assert "[-]informers-synced failed: waiting for the first list of: services namespaces config\n" in body
    assert "[-]config-valid failed: no configuration loaded yet\n" in body
    assert body.endswith("readyz check failed\n")
    wait_until(lambda: scrape(port).get("ingot_controller_api_server_reachable") == 0, timeout=20,
               what="ingot_controller_api_server_reachable 0")
    m = scrape(port)
    assert m['ingot_controller_informer_synced{informer="services"}'] == 0
    assert not any(k.startswith(METALLB_POOL_METRICS) for k in m)
    c.wait_log(r'level=warn component=controller msg="API server unreachable, keeping the last state"')


def test_metrics_readiness_status_follow_the_controller(cluster, ns, start_controller, ingot_bin, tmp_path):
    sock = tmp_path / "run" / "ctl.sock"
    c = start_controller("--namespace", ns, "--metrics-addr", "127.0.0.1:0", "--control-socket", sock)
    port = ops_port(c)
    # synced, no configuration yet: ready (an empty configuration), as a fresh install must be
    wait_until(lambda: get(port, "/readyz")[0] == 200, timeout=20, what="/readyz 200 without configuration")

    cluster.apply(pools_config(ns))
    wait_until(lambda: get(port, "/readyz")[0] == 200, timeout=20, what="/readyz 200")
    assert get(port, "/readyz")[1] == ("[+]informers-synced ok\n[+]config-valid ok\n[+]leader-known ok\n"
                                        "readyz check passed\n")
    c.wait_log(r"imported existing assignments")
    code, text = get(port, "/metrics")
    assert code == 200
    promtool_clean(text)
    assert check_metallb_families(text) == {
        "metallb_allocator_addresses_in_use_total", "metallb_allocator_addresses_total",
        "metallb_k8s_client_config_loaded_bool", "metallb_k8s_client_config_stale_bool"}
    t = types(text)
    # MetalLB's names, MetalLB's meaning (gauges there), untyped because of the _total suffix
    assert t["metallb_allocator_addresses_in_use_total"] == "untyped"
    assert t["metallb_allocator_addresses_total"] == "untyped"
    assert t["ingot_controller_allocations_total"] == "counter"
    m = samples(text)
    assert m['metallb_allocator_addresses_total{pool="p"}'] == 4
    assert m['metallb_allocator_addresses_in_use_total{pool="p"}'] == 0
    assert m["metallb_k8s_client_config_loaded_bool"] == 1 and m["metallb_k8s_client_config_stale_bool"] == 0
    assert m["ingot_controller_config_valid"] == 1 and m["ingot_controller_leader"] == 1
    assert m["ingot_controller_api_server_reachable"] == 1
    assert m["ingot_controller_config_last_reload_success_timestamp_seconds"] > 1.7e9

    # two allocations, then a conflict: c asks for a's IP with the same port and no sharing key
    apply_services(cluster, ns, service("a"), service("b"))
    ip_a = wait_ips(cluster, ns, "a", timeout=20)[0]
    wait_ips(cluster, ns, "b", timeout=20)
    apply_services(cluster, ns, service("c", annotations={"metallb.io/loadBalancerIPs": ip_a}))
    wait_until(lambda: scrape(port).get("ingot_controller_allocation_conflicts_total") == 1, timeout=20,
               what="one conflict counted")
    m = scrape(port)
    assert m['metallb_allocator_addresses_in_use_total{pool="p"}'] == 2
    assert m['metallb_allocator_addresses_total{pool="p"}'] == 4
    assert m["ingot_controller_allocations_total"] == 2
    assert m["ingot_controller_allocation_failures_total"] >= 1
    assert m['ingot_controller_status_writes_total{result="success"}'] >= 2
    assert m['ingot_controller_status_writes_total{result="failure"}'] == 0
    assert m["ingot_controller_service_syncs_total"] >= 3

    st = status_json(ingot_bin, sock)
    assert list(st) == ["controller", "config", "pools"]
    assert st["pools"] == {"pools": [{"pool": "p", "size": 4, "in_use": 2}]}
    ctl = st["controller"]
    assert (ctl["role"], ctl["leader_election"], ctl["assigning"]) == ("leader", False, True)
    assert ctl["allocations"] == 2 and ctl["allocation_conflicts"] == 1
    assert ctl["services"] >= 3   # every Service in the cluster (the informer watches all namespaces)
    assert ctl["memberlist_secret"] in ("created", "found")
    cfg = st["config"]
    assert (cfg["source"], cfg["valid"], cfg["stale"], cfg["error"]) == ("configmap", True, False, None)
    tables = subprocess.run([str(ingot_bin), "status", "--socket", str(sock), "pools"], capture_output=True,
                            text=True, timeout=15)
    assert tables.returncode == 0
    assert re.search(r"^\s+POOL\s+SIZE\s+IN_USE\s*$", tables.stdout, re.M), tables.stdout
    assert re.search(r"^\s+p\s+4\s+2\s*$", tables.stdout, re.M), tables.stdout

    # a refused configuration: not ready, stale, the previous one stays in force
    cluster.apply(pools_config(ns, "10.77.0.0/33"))
    wait_until(lambda: get(port, "/readyz")[0] == 503, timeout=20, what="/readyz 503 on a refused config")
    body = get(port, "/readyz")[1]
    assert re.search(r"\[-\]config-valid failed: latest configuration refused \(.*33.*\), the previous one "
                     r"stays in force\n", body), body
    m = scrape(port)
    assert m["metallb_k8s_client_config_stale_bool"] == 1 and m["ingot_controller_config_valid"] == 0
    assert m['ingot_controller_config_reloads_total{result="failure"}'] >= 1
    assert m['metallb_allocator_addresses_in_use_total{pool="p"}'] == 2
    cfg = status_json(ingot_bin, sock)["config"]
    assert cfg["valid"] is False and cfg["stale"] is True and cfg["loaded"] is True and "33" in cfg["error"]

    # fixed: ready again
    cluster.apply(pools_config(ns, "10.77.0.0/29"))
    wait_until(lambda: get(port, "/readyz")[0] == 200, timeout=20, what="/readyz 200 again")
    wait_until(lambda: scrape(port).get('metallb_allocator_addresses_total{pool="p"}') == 8, timeout=20,
               what="pool grown to 8")
    assert status_json(ingot_bin, sock)["config"]["error"] is None


def test_standby_replica_reports_the_leader(cluster, ns, start_controller, ingot_bin, tmp_path):
    cluster.apply(pools_config(ns))
    timing = ("--leader-elect", "--lease-duration", "4", "--renew-deadline", "3", "--retry-period", "0.5")
    a = start_controller("--namespace", ns, "--identity", "ctl-a", *timing, "--metrics-addr", "127.0.0.1:0",
                         "--control-socket", tmp_path / "a.sock", name="a")
    a.wait_log(r'msg="leading: assigning IPs"', timeout=20)
    b = start_controller("--namespace", ns, "--identity", "ctl-b", *timing, "--metrics-addr", "127.0.0.1:0",
                         "--control-socket", tmp_path / "b.sock", name="b")
    port_b = ops_port(b)
    wait_until(lambda: get(port_b, "/readyz")[0] == 200, timeout=20, what="standby ready")
    st = status_json(ingot_bin, tmp_path / "b.sock")
    assert (st["controller"]["role"], st["controller"]["leader"]) == ("standby", "ctl-a")
    assert st["pools"] == {"pools": [{"pool": "p", "size": 4, "in_use": None}]}
    m = scrape(port_b)
    assert m["ingot_controller_leader"] == 0
    assert not any(k.startswith(METALLB_POOL_METRICS) for k in m)   # MetalLB's come from the leader only
    assert status_json(ingot_bin, tmp_path / "a.sock")["controller"]["role"] == "leader"


def test_memberlist_secret_created_once_never_overwritten(cluster, ns, start_controller):
    assert secret(cluster, ns) is None
    c = start_controller("--namespace", ns)
    c.wait_log(r'msg="memberlist secret created" secret=' + re.escape(f"{ns}/memberlist"), timeout=20)
    s = secret(cluster, ns)
    assert s["type"] == "Opaque" and list(s["data"]) == ["secretkey"]
    value = base64.b64decode(s["data"]["secretkey"], validate=True)
    # MetalLB's format: 128 random bits as unpadded standard base64 text
    assert re.fullmatch(rb"[A-Za-z0-9+/]{22}", value), value
    assert len(base64.b64decode(value + b"==")) == 16
    assert c.stop() == 0

    # a second start finds it and leaves it alone
    c2 = start_controller("--namespace", ns)
    c2.wait_log(r'msg="memberlist secret exists, left alone"', timeout=20)
    assert secret(cluster, ns)["data"] == s["data"]
    assert secret(cluster, ns)["metadata"]["resourceVersion"] == s["metadata"]["resourceVersion"]
    assert c2.stop() == 0

    # someone else's Secret under another name is not touched either; --no-ml-secret creates none
    cluster.kubectl("create", "secret", "generic", "mine", "-n", ns, "--from-literal=secretkey=hand-made")
    c3 = start_controller("--namespace", ns, "--ml-secret-name", "mine")
    c3.wait_log(r'msg="memberlist secret exists, left alone" secret=' + re.escape(f"{ns}/mine"), timeout=20)
    assert base64.b64decode(secret(cluster, ns, "mine")["data"]["secretkey"]) == b"hand-made"
    assert c3.stop() == 0
    cluster.kubectl("delete", "secret", "memberlist", "-n", ns)
    c4 = start_controller("--namespace", ns, "--no-ml-secret")
    c4.wait_log(r"imported existing assignments|no configuration yet", timeout=20)
    assert secret(cluster, ns) is None


def test_managed_fields_survive_status_writes(cluster, ns, start_controller):
    """The informer drops managedFields at intake; the status PUT made from that copy must not drop them
    on the server (a PUT without managedFields keeps the server's)."""
    cluster.apply(pools_config(ns))
    c = start_controller("--namespace", ns, "--no-ml-secret")
    c.wait_log(r"imported existing assignments", timeout=20)
    apply_services(cluster, ns, service("kept"))
    wait_ips(cluster, ns, "kept", timeout=20)
    svc = cluster.get_json("service", "kept", "-n", ns, "--show-managed-fields")
    managers = {(f["manager"], f.get("subresource", "")) for f in svc["metadata"]["managedFields"]}
    assert ("kubectl-client-side-apply", "") in managers, managers
    assert any(sub == "status" for _, sub in managers), managers
