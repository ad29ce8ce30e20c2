"""The one-line install (deploy/ingot.yaml), the Helm chart (charts/ingot) and the Dockerfile.

- deploy/ingot.yaml goes to the real kube-apiserver, first with --dry-run=server (nothing is created),
  then for real, and every object is read back: RBAC rules, container args, capabilities, probes,
  host networking. Pods never run here (no kubelet, no controller-manager): the Deployment and the
  DaemonSet are checked as objects, nothing pretends they started.
- RBAC is checked by asking the API server (`kubectl auth can-i --as=system:serviceaccount:...`) for
  every request the code makes (RBAC_ALLOWED, each naming the source) and for some it must not get,
  and by running `ingot controller` and `ingot speaker` on their ServiceAccounts' tokens: every
  informer must list and watch, and nothing may be refused.
- helm (tools/build-helm) lints the chart; `helm template` with default values renders the same
  objects as deploy/ingot.yaml (parsed, not text), and non-default values change what they should.
- The Dockerfile cannot be built (no Docker engine on the test machine): its runtime packages are
  compared with the libraries the binary needs (`ldd`, `readelf`, `dpkg -S`), and its build stage
  with tools/install-deps and the Makefile.

Cleanup: the objects this module applied are deleted at the end, except the Namespace (other tests
use metallb-system, and with no controller-manager a deleted namespace stays Terminating forever)
and the CRDs when they were installed before this module (other tests apply and use them).
"""
import copy
import json
import re
import shlex
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
INSTALL = REPO / "deploy" / "ingot.yaml"
CRDS = REPO / "deploy" / "crds"
CHART = REPO / "charts" / "ingot"
NS = "metallb-system"
SA = {c: f"system:serviceaccount:{NS}:{c}" for c in ("controller", "speaker")}


def docs(text):
    return [d for d in yaml.safe_load_all(text) if d is not None]


def install_docs():
    return docs(INSTALL.read_text())


def key(obj):
    meta = obj["metadata"]
    return (obj["kind"], meta.get("namespace", ""), meta["name"])


def by_key(objs):
    out = {}
    for o in objs:
        assert key(o) not in out, f"duplicate object {key(o)}"
        out[key(o)] = o
    return out


def find(objs, kind, name):
    (found,) = [o for o in objs if o["kind"] == kind and o["metadata"]["name"] == name]
    return found


def container(obj):
    (c,) = obj["spec"]["template"]["spec"]["containers"]
    return c


def assert_subset(want, got, path="object"):
    """Every field of WANT is in GOT with the same value; GOT may carry more (server defaults).
    Lists must have the same length and match element by element."""
    if isinstance(want, dict):
        assert isinstance(got, dict), f"{path}: want a map, got {got!r}"
        for k, v in want.items():
            assert k in got, f"{path}.{k}: missing (have {sorted(got)})"
            assert_subset(v, got[k], f"{path}.{k}")
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), f"{path}: want {want!r}, got {got!r}"
        for i, (w, g) in enumerate(zip(want, got)):
            assert_subset(w, g, f"{path}[{i}]")
    else:
        assert want == got, f"{path}: want {want!r}, got {got!r}"


# --- generated parts --------------------------------------------------------------------------------


def test_generated_crds_are_current_and_identical():
    """The CRDs in deploy/ingot.yaml and charts/ingot/crds are deploy/crds, not forks of it."""
    proc = subprocess.run([str(REPO / "deploy" / "generate.py"), "--check"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    kust = yaml.safe_load((CRDS / "kustomization.yaml").read_text())
    sources = [yaml.safe_load((CRDS / f).read_text()) for f in kust["resources"]]
    in_install = [d for d in install_docs() if d["kind"] == "CustomResourceDefinition"]
    assert in_install == sources
    chart_files = sorted(p.name for p in (CHART / "crds").iterdir())
    assert chart_files == sorted(kust["resources"])
    for f in chart_files:
        assert (CHART / "crds" / f).read_bytes() == (CRDS / f).read_bytes(), f


# --- deploy/ingot.yaml on the API server -------------------------------------------------------------


def exists(cluster, *args):
    return cluster.kubectl("get", *args, "-o", "name", check=False).returncode == 0


@pytest.fixture(scope="module")
def installed(cluster):
    """deploy/ingot.yaml applied: --dry-run=server first (and proof it created nothing), then for
    real. Yields the cluster; deletes what it created afterwards (see the module docstring)."""
    objs = install_docs()
    namespace = [o for o in objs if o["kind"] == "Namespace"]
    crd_names = [o["metadata"]["name"] for o in objs if o["kind"] == "CustomResourceDefinition"]
    crds_before = {n for n in crd_names if exists(cluster, "crd", n)}

    # A server-side dry run creates nothing, so the namespaced objects of one file cannot see its
    # Namespace: dry-run and create the Namespace on its own first, then dry-run the whole file.
    ns_text = yaml.safe_dump_all(namespace)
    cluster.kubectl("apply", "--dry-run=server", "-f", "-", input=ns_text)
    cluster.kubectl("apply", "-f", "-", input=ns_text)
    out = cluster.kubectl("apply", "--dry-run=server", "-f", INSTALL).stdout
    assert out.count("(server dry run)") == len(objs), out
    assert not exists(cluster, "-n", NS, "deployment", "controller"), "the dry run created objects"
    for n in crd_names:
        if n not in crds_before:
            assert not exists(cluster, "crd", n), f"the dry run created {n}"

    cluster.kubectl("apply", "-f", INSTALL)
    cluster.kubectl("wait", "--for=condition=Established", "--timeout=60s",
                    *(f"crd/{n}" for n in crd_names))
    try:
        yield cluster
    finally:
        ours = [o for o in objs if o["kind"] not in ("Namespace", "CustomResourceDefinition")]
        cluster.kubectl("delete", "--ignore-not-found", "--wait=false", "-f", "-",
                        input=yaml.safe_dump_all(ours), check=False, timeout=120)
        gone = [f"crd/{n}" for n in crd_names if n not in crds_before]
        if gone:
            cluster.kubectl("delete", "--ignore-not-found", "--timeout=120s", *gone, check=False,
                            timeout=150)
        # The Namespace stays (module docstring).


def live(cluster, obj):
    kind, ns, name = key(obj)
    args = ["-n", ns] if ns else []
    resource = {"CustomResourceDefinition": "crd"}.get(kind, kind.lower())
    if obj["apiVersion"].startswith("rbac.authorization.k8s.io"):
        resource += ".rbac.authorization.k8s.io"
    elif obj["apiVersion"].startswith("apps/"):
        resource += ".apps"
    return cluster.get_json(*args, resource, name)


def test_every_object_is_on_the_server_as_written(installed):
    objs = install_docs()
    kinds = sorted({o["kind"] for o in objs})
    assert kinds == ["ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "DaemonSet",
                     "Deployment", "Namespace", "Role", "RoleBinding", "ServiceAccount"]
    for obj in objs:
        got = live(installed, obj)
        want = copy.deepcopy(obj)
        want.pop("apiVersion")  # CRDs are read back at the version asked; the rest as written
        if obj["kind"] == "CustomResourceDefinition":
            # The server prunes and normalises schemas; test_config_crds.py covers their meaning.
            want = {"metadata": want["metadata"], "spec": {"group": want["spec"]["group"],
                                                          "names": want["spec"]["names"]}}
        assert_subset(want, got, "/".join(key(obj)))


def test_controller_deployment(installed):
    dep = installed.get_json("-n", NS, "deployment.apps", "controller")
    pod = dep["spec"]["template"]["spec"]
    c = container(dep)
    assert pod["serviceAccountName"] == "controller"
    assert not pod.get("hostNetwork", False)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert c["args"][0] == "controller"
    for arg in ("--namespace=$(NAMESPACE)", "--log-level=info", "--metrics-addr=:7472",
                "--leader-elect", "--lease-name=ingot-controller",
                "--control-socket=/run/ingot/control.sock"):
        assert arg in c["args"], c["args"]
    (env,) = c["env"]
    assert env == {"name": "NAMESPACE", "valueFrom": {"fieldRef": {
        "apiVersion": "v1", "fieldPath": "metadata.namespace"}}}
    sc = c["securityContext"]
    assert sc["capabilities"] == {"drop": ["ALL"]}
    assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert c["livenessProbe"]["httpGet"]["port"] == c["readinessProbe"]["httpGet"]["port"] == 7472


def test_speaker_daemonset(installed):
    ds = installed.get_json("-n", NS, "daemonset.apps", "speaker")
    pod = ds["spec"]["template"]["spec"]
    c = container(ds)
    assert pod["serviceAccountName"] == "speaker"
    assert pod["hostNetwork"] is True
    tolerated = {(t["key"], t["effect"]) for t in pod["tolerations"]}
    assert tolerated == {("node-role.kubernetes.io/control-plane", "NoSchedule"),
                         ("node-role.kubernetes.io/master", "NoSchedule")}
    assert c["args"][0] == "speaker"
    for arg in ("--node-name=$(NODE_NAME)", "--namespace=$(NAMESPACE)", "--metrics-addr=:7472",
                "--ml-bind-port=7946", "--ml-secret-key-path=/etc/ml_secret_key",
                "--control-socket=/run/ingot/control.sock"):
        assert arg in c["args"], c["args"]
    env = {e["name"]: e for e in c["env"]}
    assert env["NODE_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "spec.nodeName"
    assert env["METALLB_ML_SECRET_KEY_PATH"]["value"] == "/etc/ml_secret_key"
    # Only NET_RAW (AF_PACKET for ARP/NDP); no NET_BIND_SERVICE, the speaker never listens on 179.
    sc = c["securityContext"]
    assert sc["capabilities"] == {"drop": ["ALL"], "add": ["NET_RAW"]}
    assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
    assert not sc.get("privileged", False)
    ports = {(p["containerPort"], p["protocol"]) for p in c["ports"]}
    assert ports == {(7472, "TCP"), (7946, "UDP")}  # the failure detector is UDP only
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    mounts = {m["name"]: m for m in c["volumeMounts"]}
    assert mounts["memberlist"]["mountPath"] == "/etc/ml_secret_key"
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["memberlist"]["secret"]["secretName"] == "memberlist"


def test_speaker_never_listens_on_179():
    """The DaemonSet grants no NET_BIND_SERVICE because nothing in the speaker listens for BGP."""
    callers = subprocess.run(["grep", "-rln", "bgp_speaker_listen", str(REPO / "src")],
                             capture_output=True, text=True).stdout.split()
    assert sorted(Path(p).relative_to(REPO).as_posix() for p in callers) == \
        ["src/bgp/bgp.h", "src/bgp/speaker.c"]


def daemon_flags(ingot_bin, command):
    out = subprocess.run([str(ingot_bin), command, "--help"], capture_output=True, text=True,
                         timeout=10)
    return set(re.findall(r"(--[a-z][a-z0-9-]*)", out.stdout + out.stderr))


def assert_known_flags(ingot_bin, objs):
    for kind, name in (("Deployment", "controller"), ("DaemonSet", "speaker")):
        args = container(find(objs, kind, name))["args"]
        known = daemon_flags(ingot_bin, args[0])
        assert "--namespace" in known, f"`ingot {args[0]} --help` lists no flags"
        for a in args[1:]:
            assert a.split("=")[0] in known, f"{name}: {a} is not in `ingot {args[0]} --help`"


def test_container_args_are_flags_the_binary_has(ingot_bin):
    """Every --flag the manifest passes is one `ingot controller|speaker --help` lists."""
    assert_known_flags(ingot_bin, install_docs())


# --- RBAC, asked of the API server --------------------------------------------------------------------

# (service account, verb, resource[/subresource or /name], namespace or None): what the code does.
RBAC_ALLOWED = [
    # src/controller/controller.c Service and Namespace informers, src/controller/writer.c status
    ("controller", "list", "services", "default"),
    ("controller", "watch", "services", None),
    ("controller", "get", "services", "default"),
    ("controller", "update", "services/status", "default"),
    ("controller", "list", "namespaces", None),
    ("controller", "watch", "namespaces", None),
    # src/k8s/event.c through src/controller/controller.c: Events where the Service is
    ("controller", "create", "events", "default"),
    ("controller", "patch", "events", "kube-system"),
    # src/controller/cfg_source.c in the config namespace
    ("controller", "list", "configmaps", NS),
    ("controller", "watch", "configmaps", NS),
    ("controller", "list", "secrets", NS),
    ("controller", "watch", "secrets", NS),
    ("controller", "list", "ipaddresspools.metallb.io", NS),
    ("controller", "watch", "bgppeers.metallb.io", NS),
    ("controller", "list", "l2advertisements.metallb.io", NS),
    ("controller", "list", "bgpadvertisements.metallb.io", NS),
    ("controller", "list", "communities.metallb.io", NS),
    ("controller", "watch", "bfdprofiles.metallb.io", NS),
    ("controller", "get", "/apis/metallb.io/v1beta1", None),
    # the failure detector's Secret, created when absent
    ("controller", "get", "secrets/memberlist", NS),
    ("controller", "create", "secrets", NS),
    # src/controller/pool_status.c
    ("controller", "get", "ipaddresspools.metallb.io", NS),
    ("controller", "update", "ipaddresspools.metallb.io/status", NS),
    # src/controller/elector.c, src/k8s/lease.c (--leader-elect)
    ("controller", "create", "leases.coordination.k8s.io", NS),
    ("controller", "get", "leases.coordination.k8s.io/ingot-controller", NS),
    ("controller", "update", "leases.coordination.k8s.io/ingot-controller", NS),
    # src/speaker/spkd_k8s.c informers and Events
    ("speaker", "list", "services", None),
    ("speaker", "watch", "services", "default"),
    ("speaker", "list", "endpointslices.discovery.k8s.io", None),
    ("speaker", "watch", "endpointslices.discovery.k8s.io", "default"),
    ("speaker", "list", "nodes", None),
    ("speaker", "watch", "nodes", None),
    ("speaker", "create", "events", "default"),
    ("speaker", "patch", "events", "default"),
    # src/controller/cfg_source.c, used by the speaker too
    ("speaker", "list", "configmaps", NS),
    ("speaker", "watch", "secrets", NS),
    ("speaker", "list", "ipaddresspools.metallb.io", NS),
    ("speaker", "watch", "l2advertisements.metallb.io", NS),
    ("speaker", "list", "bgpadvertisements.metallb.io", NS),
    ("speaker", "list", "bgppeers.metallb.io", NS),
    ("speaker", "watch", "communities.metallb.io", NS),
    ("speaker", "list", "bfdprofiles.metallb.io", NS),
    ("speaker", "get", "/apis/metallb.io/v1beta1", None),
]

RBAC_DENIED = [
    ("speaker", "update", "services", "default"),
    ("speaker", "update", "services/status", "default"),
    ("speaker", "get", "secrets", "kube-system"),
    ("speaker", "list", "secrets", "default"),
    ("speaker", "create", "secrets", NS),
    ("speaker", "create", "leases.coordination.k8s.io", NS),
    ("speaker", "update", "ipaddresspools.metallb.io/status", NS),
    ("speaker", "list", "pods", NS),
    ("speaker", "delete", "events", "default"),
    ("controller", "list", "secrets", "default"),
    ("controller", "get", "secrets", "kube-system"),
    ("controller", "delete", "secrets", NS),
    ("controller", "update", "secrets", NS),
    ("controller", "update", "services", "default"),
    ("controller", "patch", "services", "default"),
    ("controller", "list", "nodes", None),
    ("controller", "list", "endpointslices.discovery.k8s.io", None),
    ("controller", "update", "leases.coordination.k8s.io/someone-else", NS),
    ("controller", "create", "ipaddresspools.metallb.io", NS),
    ("controller", "list", "ipaddresspools.metallb.io", "default"),
    ("controller", "create", "pods", NS),
]


def can_i(cluster, sa, verb, resource, ns):
    args = ["auth", "can-i", verb]
    if resource.startswith("/"):
        args.append(resource)
    else:
        parts = resource.split("/")
        sub = None
        if len(parts) == 2 and parts[1] == "status":
            resource, sub = parts[0], "status"
        args.append(resource)
        if sub:
            args.append(f"--subresource={sub}")
        args += ["-n", ns] if ns else ["--all-namespaces"]
    proc = cluster.kubectl(*args, f"--as={SA[sa]}", check=False)
    answer = proc.stdout.strip()
    assert answer in ("yes", "no"), f"kubectl {shlex.join(args)}: {proc.stdout}{proc.stderr}"
    return answer == "yes"


def test_rbac_allows_what_the_code_does(installed):
    refused = [r for r in RBAC_ALLOWED if not can_i(installed, *r)]
    assert refused == []


def test_rbac_refuses_the_rest(installed):
    granted = [r for r in RBAC_DENIED if can_i(installed, *r)]
    assert granted == []


# --- the daemons, run with nothing but their ServiceAccount's rights ----------------------------------


def sa_kubeconfig(cluster, sa, path):
    """A kubeconfig whose user is ServiceAccount SA (a TokenRequest token), as in a Pod."""
    token = cluster.kubectl("create", "token", sa, "-n", NS, "--duration=1h").stdout.strip()
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": sa,
        "clusters": [{"name": "test", "cluster": {"server": cluster.server,
                                                  "certificate-authority": cluster.ca}}],
        "users": [{"name": sa, "user": {"token": token}}],
        "contexts": [{"name": sa, "context": {"cluster": "test", "user": sa}}],
    }))
    path.chmod(0o600)
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_status(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


class Daemon:
    """`ingot ARGS` with its output in a file; stopped by PID (SIGTERM, then SIGKILL)."""

    def __init__(self, ingot_bin, args, log):
        self.log = log
        with open(log, "w") as out:
            self.proc = subprocess.Popen([str(ingot_bin), *args], stdout=out,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def text(self):
        return self.log.read_text()

    def wait_watching(self, resources, timeout=90):
        """Until every informer in RESOURCES has listed and is watching (src/k8s/informer.c logs
        each state change): the LIST was allowed."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"exited {self.proc.returncode}:\n{self.text()}"
            watching = set(re.findall(r'msg="informer state" resource=(\S+) from=listing '
                                      r'to=watching', self.text()))
            if set(resources) <= watching:
                return
            time.sleep(0.5)
        raise AssertionError(f"not watching {sorted(set(resources) - watching)} after {timeout} s:"
                             f"\n{self.text()}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def refusals(text):
    return [line for line in text.splitlines() if re.search(r"forbidden|unauthorized", line, re.I)]


# A loadBalancerClass no other test uses: these daemons leave every other test's Services alone
# (and the speaker announces nothing on this machine's links).
LB_CLASS = "ingot.test/deploy-rbac"
METALLB_KINDS = ["ipaddresspools", "l2advertisements", "bgpadvertisements", "bgppeers",
                 "communities", "bfdprofiles"]


def test_controller_runs_on_its_service_account(installed, ingot_bin, tmp_path):
    """With only the controller's RBAC: every informer lists and watches, the Lease is taken, the
    memberlist Secret is found or created, and the API server refuses nothing. (/readyz also wants
    a valid configuration, which this test does not add to the shared namespace.)"""
    secret_before = exists(installed, "-n", NS, "secret", "memberlist")
    kubeconfig = sa_kubeconfig(installed, "controller", tmp_path / "controller.kubeconfig")
    port, sock = free_port(), tmp_path / "controller.sock"
    d = Daemon(ingot_bin, ["controller", f"--kubeconfig={kubeconfig}", f"--namespace={NS}",
                           f"--lb-class={LB_CLASS}", "--leader-elect",
                           "--lease-name=ingot-controller", f"--metrics-addr=127.0.0.1:{port}",
                           f"--control-socket={sock}"], tmp_path / "controller.log")
    try:
        d.wait_watching(["services", "namespaces", "configmaps", "secrets", *METALLB_KINDS])
        assert http_status(f"http://127.0.0.1:{port}/healthz") == 200
        # A Lease left by an earlier test's controller expires after its 15 s duration.
        deadline, status = time.monotonic() + 60, {}
        while time.monotonic() < deadline:
            out = subprocess.run([str(ingot_bin), "status", "--json", "--socket", str(sock)],
                                 capture_output=True, text=True, timeout=10)
            status = json.loads(out.stdout) if out.returncode == 0 else {}
            if status.get("controller", {}).get("role") == "leader":
                break
            time.sleep(1)
        ctl = status.get("controller", {})
        assert ctl.get("role") == "leader", f"{status}\n{d.text()}"
        assert ctl.get("memberlist_secret") in ("created", "found"), f"{status}\n{d.text()}"
        assert exists(installed, "-n", NS, "secret", "memberlist")
        lease = installed.get_json("-n", NS, "lease.coordination.k8s.io", "ingot-controller")
        assert lease["spec"]["holderIdentity"] == ctl["identity"]
        assert refusals(d.text()) == []
    finally:
        d.stop()
        if not secret_before:
            installed.kubectl("delete", "-n", NS, "secret", "memberlist", "--ignore-not-found",
                              check=False)
    assert d.proc.returncode == 0, d.text()
    assert refusals(d.text()) == []


def test_speaker_runs_on_its_service_account(installed, ingot_bin, tmp_path):
    """With only the speaker's RBAC: every informer lists and watches and the API server refuses
    nothing. The failure detector is off here: it would bind UDP 7946 on this host."""
    kubeconfig = sa_kubeconfig(installed, "speaker", tmp_path / "speaker.kubeconfig")
    port = free_port()
    d = Daemon(ingot_bin, ["speaker", f"--kubeconfig={kubeconfig}", f"--namespace={NS}",
                           "--node-name=deploy-rbac-test", f"--lb-class={LB_CLASS}",
                           f"--metrics-addr=127.0.0.1:{port}", "--ml-disable"],
               tmp_path / "speaker.log")
    try:
        d.wait_watching(["services", "endpointslices", "nodes", "configmaps", "secrets",
                         *METALLB_KINDS])
        assert http_status(f"http://127.0.0.1:{port}/healthz") == 200
        assert refusals(d.text()) == []
    finally:
        d.stop()
    assert d.proc.returncode == 0, d.text()
    assert refusals(d.text()) == []


# --- Helm ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def helm():
    """helm v4 built from Go modules by tools/build-helm (cached; the first build takes minutes)."""
    proc = subprocess.run([str(REPO / "tools" / "build-helm")], capture_output=True, text=True,
                          timeout=3600)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def helm_template(helm, *args, release="ingot"):
    proc = subprocess.run([helm, "template", release, str(CHART), "--namespace", NS,
                           "--include-crds", *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.parametrize("values", [[], ["--set", "memberlist.enabled=false", "--set",
                                          "metrics.enabled=false", "--set", "lbClass=gold"]],
                         ids=["defaults", "non-defaults"])
def test_helm_lint_is_clean(helm, values):
    proc = subprocess.run([helm, "lint", "--strict", *values, str(CHART)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 chart(s) linted, 0 chart(s) failed" in proc.stdout, proc.stdout
    assert "[WARNING]" not in proc.stdout and "[ERROR]" not in proc.stdout, proc.stdout


def test_helm_defaults_render_the_install(helm):
    """The chart with default values is deploy/ingot.yaml, object for object, minus the Namespace
    (Helm installs into an existing one, or --create-namespace)."""
    rendered = by_key(docs(helm_template(helm)))
    want = by_key(o for o in install_docs() if o["kind"] != "Namespace")
    assert sorted(rendered) == sorted(want)
    for k in want:
        assert rendered[k] == want[k], f"{k}: chart and deploy/ingot.yaml differ"


def speaker_and_controller(objs):
    return container(find(objs, "DaemonSet", "speaker")), container(find(objs, "Deployment",
                                                                              "controller"))


def test_helm_values_change_what_they_should(helm, tmp_path):
    values = tmp_path / "values.yaml"
    values.write_text(yaml.safe_dump({
        "image": {"repository": "registry.example/lb/ingot", "tag": "9.9.9", "pullPolicy": "Always"},
        "lbClass": "example.com/gold",
        "logLevel": "debug",
        "metrics": {"enabled": False, "speakerPort": 9101},
        "memberlist": {"enabled": False},
        "controller": {"nodeSelector": {"pool": "infra"},
                       "tolerations": [{"key": "infra", "operator": "Exists"}]},
        "speaker": {"nodeSelector": {"lb": "yes"}, "tolerations": []},
    }))
    objs = docs(helm_template(helm, "-f", str(values), release="edge"))
    spk, ctl = speaker_and_controller(objs)
    for c in (spk, ctl):
        assert c["image"] == "registry.example/lb/ingot:9.9.9"
        assert c["imagePullPolicy"] == "Always"
        assert "--lb-class=example.com/gold" in c["args"] and "--log-level=debug" in c["args"]
        assert "ports" not in c or all(p["name"] != "monitoring" for p in c["ports"])
    # Metrics off: the speaker's listener on loopback, probed from the node.
    assert "--metrics-addr=127.0.0.1:9101" in spk["args"]
    for probe in ("livenessProbe", "readinessProbe"):
        assert spk[probe]["httpGet"]["host"] == "127.0.0.1"
        assert spk[probe]["httpGet"]["port"] == 9101
    # The controller keeps it on the Pod IP (probes), unpublished.
    assert "--metrics-addr=:7472" in ctl["args"] and "ports" not in ctl
    for kind, name in (("DaemonSet", "speaker"), ("Deployment", "controller")):
        assert "annotations" not in find(objs, kind, name)["spec"]["template"]["metadata"]
    # Memberlist off: the detector disabled, no Secret created, no key, port or Secret access.
    assert [a for a in spk["args"] if a.startswith("--ml-")] == ["--ml-disable"]
    assert "--no-ml-secret" in ctl["args"]
    assert [e["name"] for e in spk["env"]] == ["NODE_NAME", "NAMESPACE"]
    assert "ports" not in spk
    ds_pod = find(objs, "DaemonSet", "speaker")["spec"]["template"]["spec"]
    assert [v["name"] for v in ds_pod["volumes"]] == ["run"]
    # Helm merges maps from values files into the defaults (lists replace them).
    assert ds_pod["nodeSelector"] == {"kubernetes.io/os": "linux", "lb": "yes"}
    assert "tolerations" not in ds_pod
    dep_pod = find(objs, "Deployment", "controller")["spec"]["template"]["spec"]
    assert dep_pod["nodeSelector"] == {"kubernetes.io/os": "linux", "pool": "infra"}
    assert dep_pod["tolerations"] == [{"key": "infra", "operator": "Exists"}]
    # The release name prefixes cluster-wide names and the Lease, and RBAC follows.
    assert "--lease-name=edge-controller" in ctl["args"]
    names = {(o["kind"], o["metadata"]["name"]) for o in objs}
    assert {("ClusterRole", "edge:controller"), ("ClusterRole", "edge:speaker"),
            ("Role", "edge-controller")} <= names
    role = find(objs, "Role", "edge-controller")
    assert {"resourceNames": ["edge-controller"], "verbs": ["get", "update"],
            "apiGroups": ["coordination.k8s.io"], "resources": ["leases"]} in role["rules"]
    (secrets,) = [r for r in role["rules"] if r["resources"] == ["secrets"]]
    assert secrets["verbs"] == ["list", "watch"]  # BGP passwords only: no memberlist Secret to make


def test_helm_non_default_args_are_flags_the_binary_has(helm, ingot_bin):
    text = helm_template(helm, "--set", "lbClass=gold", "--set", "metrics.enabled=false",
                         "--set", "memberlist.enabled=false", "--set", "logLevel=debug")
    assert_known_flags(ingot_bin, docs(text))


def test_helm_ports_follow_values(helm):
    objs = docs(helm_template(helm, "--set", "memberlist.port=7000", "--set",
                              "metrics.speakerPort=9101", "--set", "metrics.controllerPort=9100"))
    spk, ctl = speaker_and_controller(objs)
    assert "--ml-bind-port=7000" in spk["args"] and "--metrics-addr=:9101" in spk["args"]
    assert {(p["containerPort"], p["protocol"]) for p in spk["ports"]} == \
        {(9101, "TCP"), (7000, "UDP")}
    assert spk["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": 9101}
    assert "--metrics-addr=:9100" in ctl["args"]
    assert ctl["ports"] == [{"name": "monitoring", "containerPort": 9100, "protocol": "TCP"}]
    assert ctl["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": 9100}
    ann = find(objs, "DaemonSet", "speaker")["spec"]["template"]["metadata"]["annotations"]
    assert ann["prometheus.io/port"] == "9101"


def test_helm_non_default_render_passes_server_dry_run(helm, installed, tmp_path):
    """A render with every value changed is still accepted by the API server."""
    text = helm_template(helm, "--set", "lbClass=gold", "--set", "metrics.enabled=false",
                         "--set", "memberlist.enabled=false", "--set", "logLevel=debug",
                         release="edge")
    objs = [o for o in docs(text) if o["kind"] != "CustomResourceDefinition"]
    out = installed.kubectl("apply", "--dry-run=server", "-f", "-",
                            input=yaml.safe_dump_all(objs)).stdout
    assert out.count("(server dry run)") == len(objs), out


# --- Dockerfile (not built here: no Docker engine) ----------------------------------------------------


def dockerfile_stages():
    """[(FROM line, [RUN command text, ...]), ...] with continuation lines joined."""
    text = re.sub(r"\\\n", " ", (REPO / "Dockerfile").read_text())
    stages = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("FROM "):
            stages.append((line, []))
        elif line.startswith("RUN "):
            stages[-1][1].append(line[4:])
    return stages


def apt_packages(run):
    m = re.search(r"apt-get install ([^&]*)", run)
    return {w for w in m.group(1).split() if not w.startswith("-")} if m else set()


def package_of(path):
    """The Debian package that ships PATH (tries the path as given and with /usr merged)."""
    real = Path(path).resolve()
    for p in dict.fromkeys([path, str(real), re.sub(r"^/usr", "", str(real))]):
        proc = subprocess.run(["dpkg", "-S", p], capture_output=True, text=True)
        if proc.returncode == 0:
            return proc.stdout.split(":")[0].strip()
    raise AssertionError(f"no Debian package ships {path}")


def depends_closure(packages):
    """PACKAGES and everything they depend on (installed packages, every alternative)."""
    seen, todo = set(), list(packages)
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        out = subprocess.run(["dpkg-query", "-W", "-f=${Depends}, ${Pre-Depends}", p],
                             capture_output=True, text=True).stdout
        for dep in re.split(r"[,|]", out):
            name = dep.strip().split(" ")[0].split(":")[0]
            if name:
                todo.append(name)
    return seen


def test_dockerfile_runtime_packages_are_what_the_binary_links(ingot_bin):
    (build_from, _), (runtime_from, runtime_runs) = dockerfile_stages()
    assert build_from == "FROM debian:bookworm AS build"
    assert runtime_from == "FROM debian:bookworm-slim"
    runtime = set().union(*(apt_packages(r) for r in runtime_runs))
    readelf = subprocess.run(["readelf", "-d", str(ingot_bin)], capture_output=True, text=True,
                             check=True).stdout
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+)\]", readelf)
    ldd = subprocess.run(["ldd", str(ingot_bin)], capture_output=True, text=True, check=True).stdout
    paths = dict(re.findall(r"^\s*(\S+) => (/\S+)", ldd, re.M))
    direct = {package_of(paths[n]) for n in needed}
    # libc6 is in every Debian image (Essential); the rest must be installed, and nothing more.
    assert runtime == direct - {"libc6"}, f"Dockerfile {sorted(runtime)}, binary needs {sorted(direct)}"
    # Whatever those libraries pull in comes with them through their Depends.
    closure = depends_closure(runtime | {"libc6"})
    indirect = {package_of(p) for p in paths.values()}
    assert indirect <= closure, sorted(indirect - closure)


def install_deps_groups():
    """tools/install-deps' package groups: {comment: [packages]}."""
    text = (REPO / "tools" / "install-deps").read_text()
    body = re.search(r"packages=\((.*?)\n\)", text, re.S).group(1)
    groups, current = {}, None
    for line in body.splitlines():
        line = line.strip()
        if line.startswith("#"):
            current = line.lstrip("# ")
            groups[current] = []
        elif line:
            groups[current] += line.split()
    return groups


def test_dockerfile_build_stage_is_the_makefile_build():
    (_, build_runs), _ = dockerfile_stages()
    build_pkgs = set().union(*(apt_packages(r) for r in build_runs))
    groups = install_deps_groups()
    toolchain = set(next(v for k, v in groups.items() if k.startswith("build")))
    libraries = set(next(v for k, v in groups.items() if k.startswith("libraries")))
    # gcc builds the image; clang/llvm are for the sanitizer and fuzz builds, cmocka for unit tests.
    assert build_pkgs == (toolchain - {"clang", "llvm", "libclang-rt-14-dev"}) | \
        (libraries - {"libcmocka-dev"})
    # The Makefile's `build` recipe, command for command; the image adds only meson options
    # (-Dtests=false: no cmocka; release build type).
    makefile = (REPO / "Makefile").read_text()
    setup = re.search(r"^build/build\.ninja:\n\t(.+)$", makefile, re.M).group(1).strip()
    compile_ = re.search(r"^build: build/build\.ninja\n\t(.+)$", makefile, re.M).group(1).strip()
    commands = [c.strip() for r in build_runs for c in r.split("&&")]
    meson = [c for c in commands if c.startswith("meson ")]
    assert len(meson) == 1
    assert [w for w in meson[0].split() if not w.startswith("-")] == setup.split()
    assert compile_ in commands
