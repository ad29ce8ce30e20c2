"""The operations endpoints (src/ops) on their own, through the ops-demo driver
(tests/system/drivers/ops/ops_demo.c), until the controller and speaker serve them.

Covers: /metrics scraped with curl and checked with `promtool check metrics` (Debian's prometheus package;
that check alone is skipped when promtool is not installed); /healthz; /readyz failing with the check's name
and reason, then passing; 404 and 405; `ingot status --json`, the tables of `ingot status`, one section, an
unknown section; hostile clients on both endpoints (garbage, oversized requests, clients that leave
mid-response) with the daemon answering afterwards; SIGTERM removing the socket.

The driver is found at $INGOT_OPS_DEMO, else next to $INGOT_BIN (or build/ingot) under
tests/system/drivers/ops/ops-demo.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1].parent


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

    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool not installed (Debian package prometheus)")
    check = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


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
    assert "Speakers:\n  (none)\n" in out
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
