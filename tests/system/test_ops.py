"""The operations endpoints (src/ops) on their own, through the ops-demo driver
(tests/system/drivers/ops/ops_demo.c), and the real speaker's /metrics (`ingot run` in the seed's BGP lab
with BIRD) checked the same way.

Covers: /metrics scraped with curl and checked with `promtool check metrics` (Debian's prometheus package;
that check alone is skipped when promtool is not installed); /healthz; /readyz failing with the check's name
and reason, then passing; 404 and 405; `ingot status --json`, the tables of `ingot status`, one section, an
unknown section; hostile clients on both endpoints (garbage, oversized requests, clients that leave
mid-response) with the daemon answering afterwards; SIGTERM removing the socket.

Metric names and types (the decision is in src/ops/metrics.h): MetalLB's names are kept exactly; those that
break promtool's lint (a counter without `_total`, a gauge ending in `_total`) are exposed as `untyped`, which
the linter exempts. promtool's whole output is checked: no lint problem is filtered out, and every metallb_*
family must be one of MetalLB's with the type that rule gives (METALLB_TYPES below).

The driver is found at $INGOT_OPS_DEMO, else next to $INGOT_BIN (or build/ingot) under
tests/system/drivers/ops/ops-demo.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1].parent

# MetalLB v0.16.1's metric families and their types there (internal/allocator/stats.go,
# internal/layer2/stats.go, internal/bgp/native/stats.go, internal/k8s/controllers/stats.go, speaker/main.go,
# and the FRR-mode sidecar's frr-tools/metrics/collector/{bgp,bfd}.go).
METALLB_TYPES = {
    "metallb_allocator_addresses_total": "gauge",
    "metallb_allocator_addresses_in_use_total": "gauge",
    "metallb_allocator_ipv4_addresses_total": "gauge",
    "metallb_allocator_ipv4_addresses_in_use_total": "gauge",
    "metallb_allocator_ipv6_addresses_total": "gauge",
    "metallb_allocator_ipv6_addresses_in_use_total": "gauge",
    "metallb_allocator_services_allocated_total": "gauge",
    "metallb_bgp_session_up": "gauge",
    "metallb_bgp_updates_total": "counter",
    "metallb_bgp_announced_prefixes_total": "gauge",
    "metallb_bgp_pending_prefixes_total": "gauge",
    "metallb_layer2_requests_received": "counter",
    "metallb_layer2_responses_sent": "counter",
    "metallb_layer2_gratuitous_sent": "counter",
    "metallb_speaker_announced": "gauge",
    "metallb_k8s_client_config_loaded_bool": "gauge",
    "metallb_k8s_client_config_stale_bool": "gauge",
    "metallb_k8s_client_updates_total": "counter",
    "metallb_k8s_client_update_errors_total": "counter",
    # FRR mode (labels {peer, vrf} there)
    "metallb_bgp_opens_sent": "counter",
    "metallb_bgp_opens_received": "counter",
    "metallb_bgp_notifications_sent": "counter",
    "metallb_bgp_updates_total_received": "counter",
    "metallb_bgp_keepalives_sent": "counter",
    "metallb_bgp_keepalives_received": "counter",
    "metallb_bgp_route_refresh_sent": "counter",
    "metallb_bgp_total_sent": "counter",
    "metallb_bgp_total_received": "counter",
    "metallb_bfd_session_up": "gauge",
    "metallb_bfd_control_packet_input": "counter",
    "metallb_bfd_control_packet_output": "counter",
    "metallb_bfd_echo_packet_input": "counter",
    "metallb_bfd_echo_packet_output": "counter",
    "metallb_bfd_session_up_events": "counter",
    "metallb_bfd_session_down_events": "counter",
    "metallb_bfd_zebra_notifications": "counter",
}


def exposed_type(name: str) -> str:
    """The type ingot exposes NAME with: MetalLB's, unless promtool's lint rejects it there, then untyped."""
    metallb = METALLB_TYPES[name]
    lint_ok = (metallb == "counter") == name.endswith("_total")
    return metallb if lint_ok else "untyped"


def metric_types(body: str) -> dict[str, str]:
    return {line.split()[2]: line.split()[3] for line in body.splitlines() if line.startswith("# TYPE ")}


def check_metallb_families(body: str) -> set[str]:
    """Every metallb_* family is MetalLB's, with the type exposed_type() gives; returns their names."""
    found = {n: t for n, t in metric_types(body).items() if n.startswith("metallb_")}
    unknown = set(found) - set(METALLB_TYPES)
    assert not unknown, f"metallb_ names MetalLB does not have: {unknown}"
    for name, t in found.items():
        assert t == exposed_type(name), f"{name}: type {t}, want {exposed_type(name)}"
    return set(found)


def promtool_clean(body: str):
    """`promtool check metrics` on the whole text: exit 0 and nothing printed, lint included."""
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool not installed (Debian package prometheus, tools/install-deps)")
    check = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True, text=True)
    assert (check.returncode, check.stdout, check.stderr) == (0, "", ""), \
        f"promtool rc={check.returncode}\n{check.stdout}{check.stderr}\n--- input ---\n{body}"


@pytest.fixture(scope="session")
def ops_demo_bin() -> Path:
    if "INGOT_OPS_DEMO" in os.environ:
        path = Path(os.environ["INGOT_OPS_DEMO"])
    else:
        ingot = Path(os.environ.get("INGOT_BIN", REPO / "build" / "ingot"))
        path = ingot.parent / "tests" / "system" / "drivers" / "ops" / "ops-demo"
    if not path.is_file():
        pytest.fail(f"ops-demo driver not found at {path}: build with -Dtests=true (or set INGOT_OPS_DEMO)")
    return path


class Demo:
    def __init__(self, proc: subprocess.Popen, port: int, sock: Path):
        self.proc = proc
        self.port = port
        self.sock = sock

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def demo(ops_demo_bin, tmp_path):
    sock = tmp_path / "run" / "control.sock"
    proc = subprocess.Popen([str(ops_demo_bin), "--listen", "127.0.0.1:0", "--socket", str(sock)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line.startswith("listening port="):
        proc.kill()
        pytest.fail(f"ops-demo did not start: {line!r} {proc.stderr.read()}")
    d = Demo(proc, int(line.split("=", 1)[1]), sock)
    yield d
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=5)


def curl(url: str, *args: str) -> tuple[int, str, str]:
    """(status code, headers, body) of one request made with the curl binary."""
    out = subprocess.run(["curl", "-s", "-S", "-D", "-", "--max-time", "10", *args, url],
                         capture_output=True, check=True).stdout.decode()
    head, _, body = out.partition("\r\n\r\n")
    return int(head.split()[1]), head, body


def status(ingot_bin, sock: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(ingot_bin), "status", "--socket", str(sock), *args],
                          capture_output=True, text=True, timeout=15)


def test_metrics_scraped_and_promtool_clean(demo):
    code, head, body = curl(demo.url("/metrics"))
    assert code == 200
    assert "Content-Type: text/plain; version=0.0.4; charset=utf-8" in head
    assert 'metallb_bgp_session_up{peer="172.30.8.35:179"} 1\n' in body
    assert 'metallb_speaker_announced{service="default/we\\"ird\\\\name",protocol="layer2",' in body
    assert 'ingot_failover_seconds_bucket{protocol="layer2",le="0.1"} 1\n' in body
    assert 'ingot_failover_seconds_count{protocol="layer2"} 2\n' in body
    names = [l.split()[2] for l in body.splitlines() if l.startswith("# HELP ")]
    assert names == sorted(names)
    # the collector runs on every scrape
    _, _, again = curl(demo.url("/metrics"))
    assert "ingot_demo_scrapes_total 2\n" in again

    promtool_clean(body)
    assert check_metallb_families(body) >= {"metallb_bgp_session_up", "metallb_bgp_updates_total"}


def test_health_and_readiness(demo):
    code, _, body = curl(demo.url("/healthz"))
    assert (code, body) == (200, "[+]loop ok\nhealthz check passed\n")
    code, _, body = curl(demo.url("/readyz"))
    assert code == 503
    assert body == "[-]demo-synced failed: waiting for SIGUSR1\nreadyz check failed\n"
    demo.proc.send_signal(signal.SIGUSR1)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        code, _, body = curl(demo.url("/readyz"))
        if code == 200:
            break
        time.sleep(0.05)
    assert (code, body) == (200, "[+]demo-synced ok\nreadyz check passed\n")
    assert curl(demo.url("/nope"))[0] == 404
    code, head, _ = curl(demo.url("/metrics"), "-X", "POST")
    assert code == 405 and "Allow: GET, HEAD" in head
    head = subprocess.run(["curl", "-s", "-S", "--head", "--max-time", "10", demo.url("/metrics")],
                          capture_output=True, check=True).stdout.decode()
    assert head.startswith("HTTP/1.1 200 OK\r\n") and "# HELP" not in head


def test_status_json_and_tables(demo, ingot_bin):
    st = os.stat(demo.sock)
    assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600

    r = status(ingot_bin, demo.sock, "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert list(doc) == ["bgp", "l2", "members", "demo"]
    assert doc["bgp"]["sessions"][0] == {"peer": "172.30.8.35", "asn": 64500, "state": "Established",
                                         "uptime_s": 3723, "prefixes_sent": 3, "prefixes_received": 0}
    assert doc["members"] == {"speakers": []}

    r = status(ingot_bin, demo.sock)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "BGP sessions:\n  PEER         ASN    STATE        UPTIME  PREFIXES_SENT  PREFIXES_RECEIVED\n" in out
    assert "  172.30.8.35  64500  Established  1h2m3s  3              0\n" in out
    assert "Layer 2 announcements:\n  IP          INTERFACE  SERVICE        NODE\n" in out
    # the members section's title ("Speakers", "Speakers (failure detector)") is the failure detector's
    assert re.search(r"^Speakers[^:\n]*:\n  \(none\)\n", out, re.M), out
    # an unknown section is shown as keys and values; control characters never reach the terminal
    assert "demo:\n  synced:  no\n" in out
    assert "  note:    tab?here\n" in out
    assert "  config:\n    source: crds\n    pools:  [1,2]\n" in out

    r = status(ingot_bin, demo.sock, "--json", "l2")
    assert list(json.loads(r.stdout)) == ["l2"]
    r = status(ingot_bin, demo.sock, "bfd")
    assert r.returncode == 1 and 'unknown section "bfd"' in r.stderr
    r = status(ingot_bin, demo.sock.parent / "missing.sock")
    assert r.returncode == 1 and "cannot connect" in r.stderr


def test_hostile_clients_then_still_serving(demo, ingot_bin):
    # control socket: garbage, an endless line, a client that leaves without reading
    for payload in (b"\x00\xff{{{\n", b"x" * 100000, b'{"cmd":"status"}\n' * 50):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(str(demo.sock))
        try:
            s.sendall(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass
        s.close()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(str(demo.sock))
    s.sendall(b"not json\n")
    assert json.loads(s.makefile().readline())["ok"] is False
    s.close()

    # HTTP: an oversized header, a broken request line, a scraper that resets mid-response
    for raw in (b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 20000 + b"\r\n\r\n", b"\x16\x03\x01garbage\r\n\r\n"):
        c = socket.create_connection(("127.0.0.1", demo.port))
        try:
            c.sendall(raw)
            c.recv(100)
        except (BrokenPipeError, ConnectionResetError):
            pass
        c.close()
    for _ in range(5):
        c = socket.create_connection(("127.0.0.1", demo.port))
        c.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        c.close()

    assert demo.proc.poll() is None
    assert curl(demo.url("/healthz"))[0] == 200
    r = status(ingot_bin, demo.sock, "--json")
    assert r.returncode == 0 and "bgp" in json.loads(r.stdout)


def test_sigterm_removes_socket(demo):
    demo.proc.send_signal(signal.SIGTERM)
    assert demo.proc.wait(timeout=5) == 0
    assert not demo.sock.exists()


def test_speaker_metrics_promtool_clean_with_metallb_names(topology, bird, ingot_bin, tmp_path):
    """The real speaker (`ingot run`, the seed's bgp.yml, a BIRD peer): its whole /metrics passes promtool,
    and MetalLB's names carry MetalLB's meaning."""
    sys.path.insert(0, str(REPO / "tests" / "system" / "data" / "speaker"))
    import seedlab
    from fixtures.netns import Node, wait_for

    lab = seedlab.build_bgp_seed_lab(topology, Node, nodes=1)
    router = seedlab.start_bird(bird, lab.router)
    node = lab.nodes[0]
    files = tmp_path / "files"
    files.mkdir()
    (files / "10-config.yml").write_text((REPO / "tests" / "system" / "data" / "bgp.yml").read_text())
    (files / "20-nginx.yml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: nginx\n  namespace: default\nspec:\n"
        "  type: LoadBalancer\n  ports:\n  - {name: http, port: 80, protocol: TCP}\n  selector: {app: nginx}\n")
    proc = node.popen([str(ingot_bin), "run", "--node-name", "node1", "--metrics-addr",
                       f"127.0.0.1:{seedlab.METRICS_PORT}", "-f", str(files)], log="run.log")
    prefix = seedlab.SEED_BGP_IP + "/32"
    wait_for(lambda: seedlab.bird_next_hops(router, prefix) == {lab.node_ips[0]}, timeout=30,
             what="198.51.100.1/32 from the node in BIRD")
    code, body = seedlab.scrape(node)
    assert code == 200
    promtool_clean(body)
    found = check_metallb_families(body)
    assert found >= {"metallb_bgp_session_up", "metallb_bgp_announced_prefixes_total",
                     "metallb_speaker_announced", "metallb_bgp_updates_total",
                     "metallb_bgp_updates_total_received", "metallb_bgp_total_sent",
                     "metallb_bgp_total_received", "metallb_bgp_opens_sent", "metallb_bgp_opens_received",
                     "metallb_bgp_notifications_sent", "metallb_bgp_keepalives_sent",
                     "metallb_bgp_keepalives_received", "metallb_bgp_route_refresh_sent",
                     "metallb_bgp_pending_prefixes_total"}
    # no BFD profile: no BFD series
    assert not any(n.startswith("metallb_bfd_") for n in found), found
    types = metric_types(body)
    assert types["metallb_bgp_announced_prefixes_total"] == "untyped"   # a gauge in MetalLB
    assert types["metallb_bgp_pending_prefixes_total"] == "untyped"     # a gauge in MetalLB too
    assert types["metallb_bgp_updates_total"] == "counter"
    assert types["metallb_bgp_total_sent"] == "untyped"                 # a counter without _total
    assert types["metallb_bgp_opens_sent"] == "untyped"
    # one session: one OPEN each way, a KEEPALIVE each way at least (OpenConfirm), nothing pending
    value = lambda name: seedlab.metric_value(body, name, peer=f"{seedlab.SEED_ROUTER_IP}:179")  # noqa: E731
    assert value("metallb_bgp_opens_sent") == 1 and value("metallb_bgp_opens_received") == 1, body
    assert value("metallb_bgp_keepalives_sent") >= 1 and value("metallb_bgp_keepalives_received") >= 1, body
    assert value("metallb_bgp_notifications_sent") == 0, body
    assert value("metallb_bgp_route_refresh_sent") == 0, body
    assert value("metallb_bgp_pending_prefixes_total") == 0, body
    # UPDATEs sent (at least the one announcing the Service), and every message sent counted too
    updates = seedlab.metric_value(body, "metallb_bgp_updates_total", peer=f"{seedlab.SEED_ROUTER_IP}:179")
    assert updates >= 1, body
    assert seedlab.metric_value(body, "metallb_bgp_total_sent", peer=f"{seedlab.SEED_ROUTER_IP}:179") >= updates + 2, body
    # MetalLB's meaning: session state 1/0, prefixes currently advertised, 1 per announced Service IP
    assert seedlab.metric_value(body, "metallb_bgp_session_up", peer=f"{seedlab.SEED_ROUTER_IP}:179") == 1, body
    assert seedlab.metric_value(body, "metallb_bgp_announced_prefixes_total", peer=f"{seedlab.SEED_ROUTER_IP}:179") == 1, body
    assert seedlab.metric_value(body, "metallb_speaker_announced", ip=seedlab.SEED_BGP_IP, node="node1",
                                protocol="bgp", service="default/nginx") == 1, body
    # ingot's own names follow the lint (promtool above) and say they are ingot's
    assert all(n.startswith(("metallb_", "ingot_")) for n in types), types
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0
