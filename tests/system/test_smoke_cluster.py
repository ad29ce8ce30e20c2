"""The test bed's Kubernetes API (tools/cluster): the seed's nginx.yml applies, auth works, down cleans up."""

import ipaddress
import json
import os
import subprocess
from pathlib import Path

from fixtures.cluster import (CLUSTER_TOOL, cluster_down, cluster_up, pid_alive, processes_mentioning,
                              read_env_file, run_tool)

NGINX_YML = Path(__file__).parent / "data" / "nginx.yml"
SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/12")


def test_seed_nginx_applies_and_waits_for_an_external_ip(cluster, testns):
    out = cluster.kubectl("apply", "-n", testns, "-f", NGINX_YML).stdout
    assert "deployment.apps/nginx created" in out
    assert "service/nginx created" in out

    svc = cluster.get_json("-n", testns, "service", "nginx")
    assert svc["spec"]["type"] == "LoadBalancer"
    cluster_ip = ipaddress.ip_address(svc["spec"]["clusterIP"])
    assert cluster_ip in SERVICE_CIDR
    (port,) = svc["spec"]["ports"]
    assert port["port"] == 80 and 30000 <= port["nodePort"] <= 32767
    assert not svc.get("status", {}).get("loadBalancer", {}).get("ingress")

    # The seed shows `kubectl get service` with the EXTERNAL-IP column; with nobody assigning one it is <pending>.
    header, *rows = cluster.kubectl("get", "service", "-n", testns).stdout.splitlines()
    assert header.split() == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    (row,) = [r.split() for r in rows if r.split()[0] == "nginx"]
    assert row[1:5] == ["LoadBalancer", str(cluster_ip), "<pending>", f"80:{port['nodePort']}/TCP"]

    # Only the API server runs: the Deployment is stored, but no controller makes pods for it.
    dep = cluster.get_json("-n", testns, "deployment", "nginx")
    assert dep["apiVersion"] == "apps/v1" and dep["spec"]["replicas"] == 3


def whoami(cluster, *args, **kw):
    return json.loads(cluster.kubectl("auth", "whoami", "-o", "json", *args, **kw).stdout)["status"]["userInfo"]


def test_cert_and_token_users(cluster):
    cert_user = whoami(cluster)
    assert cert_user["username"] == "admin" and "system:masters" in cert_user["groups"]

    token_user = whoami(cluster, "--context", "ingot-token")
    assert token_user["username"] == "admin-token" and "system:masters" in token_user["groups"]

    # The bare token, without the kubeconfig: what a C client with a bearer token does.
    bare = ["--server", cluster.server, "--certificate-authority", cluster.ca]
    token_user = whoami(cluster, *bare, "--token", cluster.token, kubeconfig=os.devnull)
    assert token_user["username"] == "admin-token"
    cluster.kubectl("get", "ns", *bare, "--token", cluster.token, kubeconfig=os.devnull)

    bad = cluster.kubectl("get", "ns", *bare, "--token", "not-" + cluster.token, kubeconfig=os.devnull,
                          check=False)
    assert bad.returncode != 0
    assert "Unauthorized" in bad.stderr or "must be logged in" in bad.stderr, bad.stderr


def test_kubectl_get_ns(cluster):
    names = {ns["metadata"]["name"] for ns in cluster.get_json("namespaces")["items"]}
    assert {"default", "kube-system", "kube-public"} <= names


def test_up_again_is_a_noop(cluster):
    before = cluster.pids()
    out = run_tool("up", "--dir", cluster.state_dir, timeout=60).stdout
    assert out.strip() == f"export KUBECONFIG={cluster.kubeconfig}"
    assert cluster.pids() == before
    assert run_tool("env", "--dir", cluster.state_dir).stdout.strip() == f"export KUBECONFIG={cluster.kubeconfig}"


def test_bind_restart_and_down_leave_nothing_behind(tmp_path):
    """A second cluster of its own: --bind, apiserver restart, and `down` stopping exactly its processes."""
    state = tmp_path / "c2"
    extra = "127.0.0.2"  # on lo like all of 127/8, but not 127.0.0.1: proves the wildcard bind and the SAN
    try:
        c2 = cluster_up(state, [extra])
        env = read_env_file(state / "cluster.env")
        assert env["BIND_ADDRESS"] == "0.0.0.0" and env["ADVERTISE_ADDRESS"] == extra
        assert c2.bind_addresses == (extra,)

        # Reachable, with a verified certificate, on loopback and on the extra address.
        for server in (c2.server, c2.server_on(extra)):
            c2.kubectl("get", "ns", "default", "--server", server)
        kc = c2.write_kubeconfig(tmp_path / "kc-extra", address=extra, token=True)
        assert whoami(c2, kubeconfig=kc)["username"] == "admin-token"
        c2.kubectl("create", "namespace", "survives-restart")

        pids = c2.pids()
        assert set(pids) == {"etcd", "apiserver"} and all(pid_alive(p) for p in pids.values())

        # restart-apiserver: new apiserver process, same etcd, port, certs and data.
        c2.restart_apiserver()
        after = c2.pids()
        assert after["etcd"] == pids["etcd"] and after["apiserver"] != pids["apiserver"]
        assert not pid_alive(pids["apiserver"])
        c2.kubectl("get", "ns", "survives-restart", "--server", c2.server_on(extra))

        # A crash (SIGKILL) and a separate start work the same way.
        c2.stop_apiserver(kill=True)
        assert "apiserver" not in c2.pids() and not pid_alive(after["apiserver"])
        assert run_tool("status", "--dir", state, check=False).returncode != 0
        c2.start_apiserver()
        c2.kubectl("get", "ns", "survives-restart")
        pids = c2.pids()
    finally:
        cluster_down(state)

    assert not any(pid_alive(p) for p in pids.values()), pids
    assert processes_mentioning(str(state) + "/") == []
    assert not state.exists()
    # down on a dir that is gone is fine; down on a dir that is no cluster's refuses to delete it.
    run_tool("down", "--dir", state)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "keep").write_text("x")
    assert run_tool("down", "--dir", tmp_path / "other", check=False).returncode != 0
    assert (tmp_path / "other" / "keep").exists()


def test_tool_is_executable():
    assert os.access(CLUSTER_TOOL, os.X_OK)
    proc = subprocess.run([str(CLUSTER_TOOL)], capture_output=True, text=True)
    assert proc.returncode == 2 and "tools/cluster up" in proc.stderr
