"""The Kubernetes client (src/k8s) against the real kube-apiserver, through its test driver k8s-client
(tests/system/drivers/k8s/k8s_client.c).

Covers: list+watch of changes made with kubectl; paged lists; re-watching when the server ends a watch;
an API server restart (SIGKILL) in the middle of a watch; a forced 410 Gone that makes the informer list
again and synthesise deletes; Service status PUT (also through a 409 Conflict) seen as EXTERNAL-IP;
core/v1 Events aggregated into one with a count; Leases; client-certificate, token, tokenFile (re-read after
a 401) and in-cluster authentication.

The driver is found at $INGOT_K8S_CLIENT, else next to $INGOT_BIN (or build/ingot) under
tests/system/drivers/k8s/k8s-client.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def k8s_client_bin() -> Path:
    if "INGOT_K8S_CLIENT" in os.environ:
        path = Path(os.environ["INGOT_K8S_CLIENT"])
    else:
        ingot = Path(os.environ.get("INGOT_BIN", REPO / "build" / "ingot"))
        path = ingot.parent / "tests" / "system" / "drivers" / "k8s" / "k8s-client"
    if not path.is_file():
        pytest.fail(f"k8s-client driver not found at {path}: build with -Dtests=true (or set INGOT_K8S_CLIENT)")
    return path


class Driver:
    """A running `k8s-client watch`: collects its JSON lines; stderr goes to a log file."""

    def __init__(self, argv: list[str], log: Path, env: dict | None = None):
        self.log_path = log
        self.log = open(log, "w")
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.log, stdin=subprocess.DEVNULL,
                                     text=True, env=env)
        self.lines: list[dict] = []
        self.cv = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            line = json.loads(raw)
            with self.cv:
                self.lines.append(line)
                self.cv.notify_all()

    def wait_for(self, pred, timeout: float = 30, since: int = 0, what: str = "") -> dict:
        """The first line at index >= since that satisfies pred; fails after timeout seconds."""
        deadline = time.monotonic() + timeout
        with self.cv:
            while True:
                for line in self.lines[since:]:
                    if pred(line):
                        return line
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None and not self._reader_busy():
                    break
                self.cv.wait(min(left, 0.2))
        pytest.fail(f"timed out waiting for {what or pred}; driver log:\n{self.log_text()}\n"
                    f"lines:\n" + "\n".join(json.dumps(short(l)) for l in self.lines))

    def _reader_busy(self) -> bool:
        return self.reader.is_alive()

    def mark(self) -> int:
        with self.cv:
            return len(self.lines)

    def changes(self, since: int = 0) -> list[tuple[str, str, bool]]:
        with self.cv:
            return [(l["event"], l["key"], l["synthetic"]) for l in self.lines[since:]
                    if l["event"] in ("ADDED", "UPDATED", "DELETED")]

    def stats(self) -> dict:
        with self.cv:
            return [l for l in self.lines if l["event"] == "STATS"][-1]

    def wait_stats(self, pred, timeout: float = 30, what: str = "") -> dict:
        return self.wait_for(lambda l: l["event"] == "STATS" and pred(l), timeout, what=what)

    def log_text(self) -> str:
        self.log.flush()
        return self.log_path.read_text()[-6000:]

    def stop(self) -> int:
        """Stops the driver with SIGTERM; returns its exit status (0: clean shutdown, and under
        AddressSanitizer no leaks)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(5)
        self.log.close()
        return self.proc.returncode


def short(line: dict) -> dict:
    return {k: v for k, v in line.items() if k != "object"}


def is_event(kind: str, key: str, synthetic: bool | None = None):
    return lambda l: (l["event"] == kind and l["key"] == key
                      and (synthetic is None or l["synthetic"] == synthetic))


@pytest.fixture
def start_watch(k8s_client_bin, cluster, tmp_path):
    drivers = []

    def start(*args, kubeconfig: str | None = None, env: dict | None = None) -> Driver:
        argv = [str(k8s_client_bin), "watch"]
        if env is None or "KUBERNETES_SERVICE_HOST" not in env:
            argv += ["--kubeconfig", kubeconfig or cluster.kubeconfig]
        argv += list(map(str, args))
        d = Driver(argv, tmp_path / f"watch-{len(drivers)}.log", env)
        drivers.append(d)
        return d

    yield start
    failed = [(d, rc) for d in drivers if (rc := d.stop()) != 0]
    for d, rc in failed:
        pytest.fail(f"k8s-client watch exited with {rc} after SIGTERM; log:\n{d.log_path.read_text()[-4000:]}")


def run_client(k8s_client_bin, cluster, *args, kubeconfig: str | None = None, check: bool = True,
               env: dict | None = None) -> tuple[dict, str]:
    argv = [str(k8s_client_bin), args[0]]
    if not (env and "KUBERNETES_SERVICE_HOST" in env):
        argv += ["--kubeconfig", kubeconfig or cluster.kubeconfig]
    argv += list(map(str, args[1:]))
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env)
    result = json.loads(proc.stdout.strip().splitlines()[-1]) if proc.stdout.strip() else {}
    if check:
        assert proc.returncode == 0, f"{argv} failed: {proc.stdout}\n{proc.stderr}"
    return result, proc.stderr


def create_services(cluster, ns: str, *names: str):
    for n in names:
        cluster.kubectl("create", "service", "clusterip", n, "--tcp=80", "-n", ns)


# --- list and watch --------------------------------------------------------------------------------------

def test_list_then_watch_sees_kubectl_changes(cluster, testns, start_watch):
    create_services(cluster, testns, "before")
    w = start_watch("--resource", "services", "--namespace", testns)
    synced = w.wait_for(lambda l: l["event"] == "SYNCED", what="SYNCED")
    assert synced["count"] == 1
    added = w.wait_for(is_event("ADDED", f"{testns}/before"))
    assert added["object"]["kind"] == "Service" and added["object"]["apiVersion"] == "v1"

    mark = w.mark()
    create_services(cluster, testns, "after")
    w.wait_for(is_event("ADDED", f"{testns}/after"), since=mark)
    cluster.kubectl("annotate", "service", "before", "-n", testns, "ingot.test/touched=yes")
    upd = w.wait_for(is_event("UPDATED", f"{testns}/before"), since=mark)
    assert upd["object"]["metadata"]["annotations"]["ingot.test/touched"] == "yes"
    cluster.kubectl("delete", "service", "after", "-n", testns)
    w.wait_for(is_event("DELETED", f"{testns}/after", synthetic=False), since=mark)
    assert w.changes(mark) == [("ADDED", f"{testns}/after", False), ("UPDATED", f"{testns}/before", False),
                               ("DELETED", f"{testns}/after", False)]
    stats = w.wait_stats(lambda s: s["events"] >= 3)
    assert stats["lists"] == 1 and stats["failures"] == 0 and stats["state"] == "watching"


def test_several_informers_share_one_client(cluster, testns, start_watch):
    """Services in all namespaces, namespaces (cluster-scoped) and config maps, on one client and loop."""
    create_services(cluster, testns, "x")
    w = start_watch("--resource", "services,namespaces,configmaps")
    for res in ("services", "namespaces", "configmaps"):
        w.wait_for(lambda l, r=res: l["event"] == "SYNCED" and l["resource"] == r, what=f"{res} synced")
    w.wait_for(is_event("ADDED", f"{testns}/x"))
    w.wait_for(is_event("ADDED", "default/kubernetes"))
    w.wait_for(lambda l: l["event"] == "ADDED" and l["resource"] == "namespaces" and l["key"] == testns)
    mark = w.mark()
    cluster.kubectl("create", "configmap", "cm", "-n", testns)
    create_services(cluster, testns, "y")
    cm = w.wait_for(is_event("ADDED", f"{testns}/cm"), since=mark)
    svc = w.wait_for(is_event("ADDED", f"{testns}/y"), since=mark)
    assert cm["resource"] == "configmaps" and svc["resource"] == "services"


def test_paged_list_with_limit_2(cluster, testns, start_watch):
    names = [f"page-{i}" for i in range(7)]
    create_services(cluster, testns, *names)
    w = start_watch("--resource", "services", "--namespace", testns, "--page-size", 2)
    synced = w.wait_for(lambda l: l["event"] == "SYNCED")
    assert synced["count"] == 7
    assert sorted(k for _, k, _ in w.changes()) == sorted(f"{testns}/{n}" for n in names)
    stats = w.wait_stats(lambda s: s["lists"] == 1)
    assert stats["pages"] == 4          # 2 + 2 + 2 + 1


def test_rewatch_when_the_server_ends_the_watch(cluster, testns, start_watch):
    w = start_watch("--resource", "services", "--namespace", testns, "--watch-timeout", 1)
    w.wait_for(lambda l: l["event"] == "SYNCED")
    for i in range(4):
        create_services(cluster, testns, f"t{i}")
        time.sleep(0.7)
    stats = w.wait_stats(lambda s: s["events"] >= 4 and s["watches"] >= 3, what="several watches")
    assert stats["lists"] == 1 and stats["relists_gone"] == 0
    assert w.changes() == [("ADDED", f"{testns}/t{i}", False) for i in range(4)]


# --- API server restarts and 410 Gone -------------------------------------------------------------------

def test_apiserver_killed_mid_watch_resumes_without_missing_events(cluster, testns, start_watch):
    create_services(cluster, testns, "a", "b", "c")
    w = start_watch("--resource", "services", "--namespace", testns, "--backoff-max-ms", 1000)
    w.wait_for(lambda l: l["event"] == "SYNCED")
    mark = w.mark()
    cluster.restart_apiserver(kill=True)
    create_services(cluster, testns, "d")
    cluster.kubectl("annotate", "service", "a", "-n", testns, "ingot.test/after-restart=yes")
    cluster.kubectl("delete", "service", "c", "-n", testns)
    w.wait_for(is_event("ADDED", f"{testns}/d"), since=mark, timeout=60)
    w.wait_for(is_event("UPDATED", f"{testns}/a"), since=mark, timeout=60)
    w.wait_for(is_event("DELETED", f"{testns}/c"), since=mark, timeout=60)
    changes = w.changes(mark)
    # Every change exactly once, nothing for the untouched "b" (a relist skips unchanged objects).
    assert sorted(changes, key=lambda c: c[1]) == sorted(
        [("ADDED", f"{testns}/d", False), ("UPDATED", f"{testns}/a", False),
         ("DELETED", f"{testns}/c", changes[[c[1] for c in changes].index(f"{testns}/c")][2])],
        key=lambda c: c[1])
    stats = w.wait_stats(lambda s: s["state"] == "watching" and s["failures"] >= 1)
    assert stats["watches"] >= 2


def test_forced_410_relists_and_synthesises_deletes(cluster, testns, start_watch):
    """The watcher is frozen (SIGSTOP) across an API server restart and the changes made after it. The new
    server's watch cache starts past the watcher's resourceVersion (a write before the restart sees to
    that), so re-watching gets an ERROR event with code 410: the informer lists again and reports what
    vanished as a synthetic delete."""
    create_services(cluster, testns, "keep", "change", "vanish")
    w = start_watch("--resource", "services", "--namespace", testns, "--backoff-max-ms", 1000)
    w.wait_for(lambda l: l["event"] == "SYNCED")
    w.wait_stats(lambda s: s["state"] == "watching")
    mark = w.mark()
    w.proc.send_signal(signal.SIGSTOP)
    try:
        cluster.kubectl("create", "configmap", "bump", "-n", testns)   # moves the resourceVersion on
        cluster.restart_apiserver()        # closes the frozen watcher's connection; it sees nothing more
        cluster.kubectl("delete", "service", "vanish", "-n", testns)
        cluster.kubectl("annotate", "service", "change", "-n", testns, "ingot.test/changed=yes")
        create_services(cluster, testns, "new")
    finally:
        w.proc.send_signal(signal.SIGCONT)
    w.wait_for(is_event("DELETED", f"{testns}/vanish", synthetic=True), since=mark, timeout=60)
    w.wait_for(is_event("UPDATED", f"{testns}/change"), since=mark, timeout=60)
    w.wait_for(is_event("ADDED", f"{testns}/new"), since=mark, timeout=60)
    assert sorted(w.changes(mark)) == sorted([("DELETED", f"{testns}/vanish", True),
                                               ("UPDATED", f"{testns}/change", False),
                                               ("ADDED", f"{testns}/new", False)])
    stats = w.wait_stats(lambda s: s["relists_gone"] >= 1 and s["state"] == "watching")
    assert stats["lists"] == 2 and stats["synthetic_deletes"] == 1
    assert "too old resource version" in w.log_text() or "watch expired" in w.log_text()


# --- writes -----------------------------------------------------------------------------------------------

LB_SERVICE = """
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: 80, protocol: TCP}]
"""


def external_ip_column(cluster, ns: str, name: str) -> str:
    header, *rows = cluster.kubectl("get", "service", "-n", ns).stdout.splitlines()
    col = header.split().index("EXTERNAL-IP")
    (row,) = [r.split() for r in rows if r.split()[0] == name]
    return row[col]


def test_verbs_with_json_bodies(cluster, testns, k8s_client_bin):
    """POST, GET, PUT, PATCH (merge and JSON patch, one explicit Content-Type each), DELETE."""
    path = f"/api/v1/namespaces/{testns}/configmaps"
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"a": "1"}}
    result, _ = run_client(k8s_client_bin, cluster, "call", "POST", path, "--body", json.dumps(cm))
    assert result["http"] == 201 and result["body"]["data"] == {"a": "1"}
    again, _ = run_client(k8s_client_bin, cluster, "call", "POST", path, "--body", json.dumps(cm), check=False)
    assert again["outcome"] == "conflict" and again["reason"] == "AlreadyExists"
    current, _ = run_client(k8s_client_bin, cluster, "call", "GET", f"{path}/cm")
    current["body"]["data"]["b"] = "2"
    result, _ = run_client(k8s_client_bin, cluster, "call", "PUT", f"{path}/cm", "--body", json.dumps(current["body"]))
    assert result["body"]["data"] == {"a": "1", "b": "2"}
    result, _ = run_client(k8s_client_bin, cluster, "call", "PATCH", f"{path}/cm", "--body",
                           '{"data": {"a": null, "c": "3"}}', "--content-type", "application/merge-patch+json")
    assert result["body"]["data"] == {"b": "2", "c": "3"}
    result, _ = run_client(k8s_client_bin, cluster, "call", "PATCH", f"{path}/cm", "--body",
                           '[{"op": "test", "path": "/data/b", "value": "wrong"}]',
                           "--content-type", "application/json-patch+json", check=False)
    assert result["outcome"] == "invalid" and result["http"] == 422
    assert cluster.get_json("configmap", "cm", "-n", testns)["data"] == {"b": "2", "c": "3"}
    result, _ = run_client(k8s_client_bin, cluster, "call", "DELETE", f"{path}/cm")
    assert result["outcome"] == "ok"
    result, _ = run_client(k8s_client_bin, cluster, "call", "GET", f"{path}/cm", check=False)
    assert result["outcome"] == "not-found"


def test_status_put_shows_external_ip(cluster, testns, k8s_client_bin):
    cluster.apply(LB_SERVICE, namespace=testns)
    assert external_ip_column(cluster, testns, "web") == "<pending>"
    result, _ = run_client(k8s_client_bin, cluster, "put-status", "--namespace", testns, "--name", "web",
                           "--ip", "198.51.100.1")
    assert result["outcome"] == "ok"
    assert result["body"]["status"]["loadBalancer"]["ingress"] == [{"ip": "198.51.100.1", "ipMode": "VIP"}]
    assert external_ip_column(cluster, testns, "web") == "198.51.100.1"
    # the same again writes nothing and succeeds
    rv = cluster.get_json("service", "web", "-n", testns)["metadata"]["resourceVersion"]
    run_client(k8s_client_bin, cluster, "put-status", "--namespace", testns, "--name", "web", "--ip",
               "198.51.100.1")
    assert cluster.get_json("service", "web", "-n", testns)["metadata"]["resourceVersion"] == rv
    # dual-stack style: two addresses; then cleared again
    run_client(k8s_client_bin, cluster, "put-status", "--namespace", testns, "--name", "web",
               "--ip", "198.51.100.7", "--ip", "2001:db8::7")
    assert external_ip_column(cluster, testns, "web") == "198.51.100.7,2001:db8::7"
    run_client(k8s_client_bin, cluster, "put-status", "--namespace", testns, "--name", "web")
    assert external_ip_column(cluster, testns, "web") == "<pending>"


def test_status_put_retries_after_conflict(cluster, testns, k8s_client_bin, tmp_path):
    cluster.apply(LB_SERVICE, namespace=testns)
    stale = tmp_path / "stale.json"
    stale.write_text(json.dumps(cluster.get_json("service", "web", "-n", testns)))
    cluster.kubectl("annotate", "service", "web", "-n", testns, "ingot.test/bump=1")   # moves resourceVersion
    result, log = run_client(k8s_client_bin, cluster, "put-status", "--namespace", testns, "--name", "web",
                             "--ip", "198.51.100.9", "--from-file", stale)
    assert result["outcome"] == "ok"
    assert "outcome=conflict" in log
    assert external_ip_column(cluster, testns, "web") == "198.51.100.9"
    svc = cluster.get_json("service", "web", "-n", testns)
    assert svc["metadata"]["annotations"]["ingot.test/bump"] == "1"     # the other writer's change survived


def test_status_put_missing_service(cluster, testns, k8s_client_bin):
    result, _ = run_client(k8s_client_bin, cluster, "put-status", "--namespace", testns, "--name", "nope",
                           "--ip", "198.51.100.1", check=False)
    assert result["outcome"] == "not-found" and result["http"] == 404 and result["reason"] == "NotFound"


def test_events_are_aggregated_and_shown_by_describe(cluster, testns, k8s_client_bin):
    cluster.apply(LB_SERVICE, namespace=testns)
    run_client(k8s_client_bin, cluster, "event", "--namespace", testns, "--name", "web", "--reason",
               "IPAllocated", "--message", 'Assigned IP ["198.51.100.1"]', "--repeat", 3)
    deadline = time.monotonic() + 10
    while True:
        events = [e for e in cluster.get_json("events", "-n", testns)["items"]
                  if e["reason"] == "IPAllocated"]
        if events and events[0].get("count") == 3 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert len(events) == 1, events
    (ev,) = events
    assert ev["count"] == 3 and ev["type"] == "Normal"
    assert ev["involvedObject"]["kind"] == "Service" and ev["involvedObject"]["name"] == "web"
    assert ev["source"]["component"] == "ingot-test"
    assert ev["firstTimestamp"] and ev["lastTimestamp"]
    described = cluster.kubectl("describe", "service", "web", "-n", testns).stdout
    (line,) = [l for l in described.splitlines() if "IPAllocated" in l]
    assert line.split()[0] == "Normal" and "ingot-test" in line and 'Assigned IP ["198.51.100.1"]' in line
    assert "(x3 over" in line


def test_many_events_at_once_all_written_few_requests_at_a_time(cluster, testns, k8s_client_bin):
    """300 distinct Events emitted in one go (a speaker starting with many Services does this): the
    recorder keeps at most 8 writes in flight and queues the rest, and every one reaches the server."""
    cluster.apply(LB_SERVICE, namespace=testns)
    result, _ = run_client(k8s_client_bin, cluster, "event", "--namespace", testns, "--name", "web",
                           "--reason", "nodeAssigned", "--message", "announcing from node", "--distinct", 300)
    assert result == {"pending": 0}, result
    events = [e for e in cluster.get_json("events", "-n", testns)["items"] if e["reason"] == "nodeAssigned"]
    assert sorted(e["message"] for e in events) == sorted(f"announcing from node #{i}" for i in range(1, 301))
    assert all(e["count"] == 1 for e in events)


def test_events_beyond_the_queue_are_dropped_and_logged(cluster, testns, k8s_client_bin):
    """1,100 distinct Events in one go: 8 in flight plus 1,000 queued are written, the other 92 are
    dropped with a log line (as client-go's broadcaster drops beyond its queue), memory stays bounded."""
    cluster.apply(LB_SERVICE, namespace=testns)
    result, stderr = run_client(k8s_client_bin, cluster, "event", "--namespace", testns, "--name", "web",
                                "--reason", "burst", "--message", "m", "--distinct", 1100)
    assert result == {"pending": 0}, result
    assert 'msg="too many events waiting, dropping"' in stderr, stderr[-2000:]
    events = [e for e in cluster.get_json("events", "-n", testns)["items"] if e["reason"] == "burst"]
    assert len(events) == 1008, len(events)


def test_lease_create_renew_and_take_over(cluster, testns, k8s_client_bin):
    result, _ = run_client(k8s_client_bin, cluster, "lease", "--namespace", testns, "--name", "ingot",
                           "--holder", "node-a", "--duration", 15)
    assert result["outcome"] == "ok" and result["http"] == 201
    first = cluster.get_json("lease", "ingot", "-n", testns)["spec"]
    assert first["holderIdentity"] == "node-a" and first["leaseDurationSeconds"] == 15
    assert first.get("leaseTransitions", 0) == 0
    run_client(k8s_client_bin, cluster, "lease", "--namespace", testns, "--name", "ingot", "--holder", "node-a")
    renewed = cluster.get_json("lease", "ingot", "-n", testns)["spec"]
    assert renewed["renewTime"] > first["renewTime"] and renewed["acquireTime"] == first["acquireTime"]
    run_client(k8s_client_bin, cluster, "lease", "--namespace", testns, "--name", "ingot", "--holder", "node-b")
    taken = cluster.get_json("lease", "ingot", "-n", testns)["spec"]
    assert taken["holderIdentity"] == "node-b" and taken["leaseTransitions"] == 1


# --- authentication ---------------------------------------------------------------------------------------

def write_kubeconfig(path: Path, cluster, user: dict, **cluster_fields) -> str:
    path.write_text(json.dumps({   # JSON is YAML
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": cluster.server, "certificate-authority": cluster.ca,
                                                **cluster_fields}}],
        "users": [{"name": "u", "user": user}],
        "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "x",
    }))
    return str(path)


def test_cert_and_token_auth(cluster, k8s_client_bin, tmp_path):
    for ctx in ("ingot", "ingot-token"):
        result, _ = run_client(k8s_client_bin, cluster, "get", "/api/v1/namespaces/default", "--context", ctx)
        assert result["outcome"] == "ok" and result["body"]["metadata"]["name"] == "default"
    # HTTP/2 where the server offers it (kube-apiserver does), HTTP/1.1 when asked
    result, log = run_client(k8s_client_bin, cluster, "get", "/api/v1/namespaces/default", "--log-level", "debug")
    assert result["outcome"] == "ok" and "http2=yes" in log
    result, log = run_client(k8s_client_bin, cluster, "get", "/api/v1/namespaces/default", "--http1",
                             "--log-level", "debug")
    assert result["outcome"] == "ok" and "http2=no" in log
    # client certificate and key as files, relative to the kubeconfig
    kc_dir = tmp_path / "kc"
    kc_dir.mkdir()
    (kc_dir / "admin.crt").write_text(Path(cluster.admin_cert).read_text())
    (kc_dir / "admin.key").write_text(Path(cluster.admin_key).read_text())
    kc = write_kubeconfig(kc_dir / "config", cluster, {"client-certificate": "admin.crt", "client-key": "admin.key"})
    result, _ = run_client(k8s_client_bin, cluster, "get", "/api/v1/namespaces/default", kubeconfig=kc)
    assert result["outcome"] == "ok"
    bad = write_kubeconfig(tmp_path / "bad", cluster, {"token": "not-the-token"})
    result, _ = run_client(k8s_client_bin, cluster, "get", "/api/v1/namespaces/default", kubeconfig=bad,
                           check=False)
    assert result["outcome"] == "unauthorized" and result["http"] == 401
    # no credentials at all: anonymous, which RBAC forbids
    anon = write_kubeconfig(tmp_path / "anon", cluster, {})
    result, _ = run_client(k8s_client_bin, cluster, "get", "/api/v1/namespaces/default", kubeconfig=anon,
                           check=False)
    assert result["outcome"] == "forbidden" and result["http"] == 403


def test_tls_server_name(cluster, k8s_client_bin, tmp_path):
    """tls-server-name: the certificate is checked against that name, the connection goes to the server URL."""
    user = {"token": cluster.token}
    good = write_kubeconfig(tmp_path / "good", cluster, user, **{"tls-server-name": "kubernetes.default.svc"})
    result, _ = run_client(k8s_client_bin, cluster, "get", "/api/v1/namespaces/default", kubeconfig=good)
    assert result["outcome"] == "ok"
    wrong = write_kubeconfig(tmp_path / "wrong", cluster, user, **{"tls-server-name": "not-in-the-cert.example"})
    result, _ = run_client(k8s_client_bin, cluster, "get", "/api/v1/namespaces/default", kubeconfig=wrong,
                           check=False)
    assert result["outcome"] == "transport" and result["http"] == 0


def test_token_file_is_reread_after_401(cluster, start_watch, tmp_path):
    token = tmp_path / "token"
    token.write_text("wrong-token\n")
    kc = write_kubeconfig(tmp_path / "config", cluster, {"tokenFile": str(token)})
    w = start_watch("--resource", "namespaces", "--backoff-max-ms", 1000, kubeconfig=kc)
    w.wait_stats(lambda s: s["failures"] >= 1, what="a failed list")
    assert "unauthorized" in w.log_text()
    token.write_text(cluster.token + "\n")      # the rotated token
    w.wait_for(lambda l: l["event"] == "SYNCED", timeout=15)


def test_in_cluster_config(cluster, k8s_client_bin, tmp_path):
    sa = tmp_path / "sa"
    sa.mkdir()
    (sa / "token").write_text(cluster.token)
    (sa / "ca.crt").write_text(Path(cluster.ca).read_text())
    (sa / "namespace").write_text("kube-system")
    env = dict(os.environ, KUBERNETES_SERVICE_HOST="127.0.0.1", KUBERNETES_SERVICE_PORT=str(cluster.port))
    env.pop("KUBECONFIG", None)
    result, _ = run_client(k8s_client_bin, cluster, "get", "/api/v1/namespaces/kube-system",
                           "--in-cluster-dir", sa, env=env)
    assert result["outcome"] == "ok"
