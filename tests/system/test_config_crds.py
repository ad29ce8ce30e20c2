"""deploy/crds in a real kube-apiserver: the seed's legacy ConfigMaps, converted by `ingot config
convert`, and MetalLB's documented CRD examples apply, read back with kubectl, and what comes back
validates and prints to the same canonical configuration as what went in."""

import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CRDS = REPO / "deploy" / "crds"
TESTDATA = REPO / "tests" / "unit" / "config" / "testdata"
KINDS = ",".join([
    "ipaddresspools.metallb.io", "l2advertisements.metallb.io", "bgpadvertisements.metallb.io",
    "bgppeers.metallb.io", "communities.metallb.io", "bfdprofiles.metallb.io", "secrets",
])
CRD_NAMES = [
    "ipaddresspools", "l2advertisements", "bgpadvertisements", "bgppeers", "communities",
    "bfdprofiles", "servicel2statuses", "servicebgpstatuses", "configurationstates",
]


def ingot(ingot_bin, *args, input=None):
    return subprocess.run([str(ingot_bin), "config", *map(str, args)], input=input,
                          capture_output=True, text=True, timeout=60)


def ok(proc):
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def crds(cluster):
    cluster.kubectl("apply", "-k", CRDS)
    for name in CRD_NAMES:
        cluster.kubectl("wait", "--for=condition=Established", "--timeout=60s",
                        f"crd/{name}.metallb.io")
    return cluster


def in_namespace(yaml_text, namespace):
    return yaml_text.replace("namespace: metallb-system", f"namespace: {namespace}")


def read_back(cluster, namespace, tmp_path):
    text = cluster.kubectl("get", "-n", namespace, KINDS, "-o", "yaml").stdout
    path = tmp_path / "read-back.yaml"
    path.write_text(text)
    return path


def round_trip(cluster, ingot_bin, crd_yaml, namespace, tmp_path):
    """Apply crd_yaml in namespace, read it back, and compare canonical prints."""
    sent = tmp_path / "sent.yaml"
    sent.write_text(in_namespace(crd_yaml, namespace))
    cluster.kubectl("apply", "-f", sent)
    back = read_back(cluster, namespace, tmp_path)
    ok(ingot(ingot_bin, "validate", back))
    assert ok(ingot(ingot_bin, "print", back)) == ok(ingot(ingot_bin, "print", sent))


def test_crds_are_established(crds):
    for name in CRD_NAMES:
        crd = crds.get_json(f"crd/{name}.metallb.io")
        versions = {v["name"]: v for v in crd["spec"]["versions"]}
        if name == "bgppeers":
            assert versions["v1beta2"]["storage"] and versions["v1beta1"]["served"]
            assert not versions["v1beta1"]["storage"]
        assert crd["spec"]["group"] == "metallb.io"


@pytest.mark.parametrize("seed", ["seed_bgp.yaml", "seed_l2.yaml"])
def test_seed_configmap_converted_applies_and_reads_back(crds, ingot_bin, testns, tmp_path, seed):
    converted = ok(ingot(ingot_bin, "convert", TESTDATA / "valid" / seed))
    assert "kind: ConfigMap" not in converted
    round_trip(crds, ingot_bin, converted, testns, tmp_path)
    pools = crds.get_json("-n", testns, "ipaddresspools.metallb.io")["items"]
    assert [p["metadata"]["name"] for p in pools] == ["my-ip-space"]
    if seed == "seed_bgp.yaml":
        (peer,) = crds.get_json("-n", testns, "bgppeers.metallb.io")["items"]
        assert peer["apiVersion"] == "metallb.io/v1beta2"
        assert peer["spec"]["peerAddress"] == "172.30.8.35"
        assert (peer["spec"]["myASN"], peer["spec"]["peerASN"]) == (64501, 64500)
        assert pools[0]["spec"]["avoidBuggyIPs"] is True
        (adv,) = crds.get_json("-n", testns, "bgpadvertisements.metallb.io")["items"]
        assert adv["spec"]["ipAddressPools"] == ["my-ip-space"]
    else:
        assert pools[0]["spec"]["addresses"] == ["192.168.1.240/28"]
        (adv,) = crds.get_json("-n", testns, "l2advertisements.metallb.io")["items"]
        assert adv["spec"]["ipAddressPools"] == ["my-ip-space"]


@pytest.mark.parametrize("example", ["ipaddresspool.yaml", "l2advertisement.yaml", "bgp.yaml",
                                     "bgp_all_fields.yaml", "legacy_full.yaml",
                                     "legacy_old_names.yaml", "kubectl_list.json"])
def test_documented_examples_apply_and_read_back(crds, ingot_bin, testns, tmp_path, example):
    path = TESTDATA / "valid" / example
    text = ok(ingot(ingot_bin, "print", path))
    round_trip(crds, ingot_bin, text, testns, tmp_path)


def test_v1beta1_peer_reads_back_as_v1beta2(crds, ingot_bin, testns, tmp_path):
    peer = f"""apiVersion: metallb.io/v1beta1
kind: BGPPeer
metadata: {{name: old, namespace: {testns}}}
spec: {{myASN: 64500, peerASN: 64501, peerAddress: 10.0.0.1, holdTime: 3m}}
"""
    crds.apply(peer)
    got = crds.get_json("-n", testns, "bgppeers.v1beta2.metallb.io", "old")
    assert got["apiVersion"] == "metallb.io/v1beta2"
    assert got["spec"]["peerPort"] == 179
    back = read_back(crds, testns, tmp_path)
    printed = ok(ingot(ingot_bin, "print", back))
    assert "holdTime: 180s" in printed and "keepaliveTime: 60s" in printed


@pytest.mark.parametrize("spec,kind", [
    ("{receiveInterval: 5}", "BFDProfile"),
    ("{addresses: [10.0.0.0/24], autoAssign: maybe}", "IPAddressPool"),
    ("{myASN: 1, peerASN: 2, peerAddress: 10.0.0.1, peerPort: 20000}", "BGPPeer"),
    ("{myASN: 1, peerASN: 2, peerAddress: 10.0.0.1, connectTime: 1500ms}", "BGPPeer"),
    ("{aggregationLength: 33}", "BGPAdvertisement"),
])
def test_api_server_enforces_the_schema(crds, testns, spec, kind):
    version = "v1beta2" if kind == "BGPPeer" else "v1beta1"
    obj = f"apiVersion: metallb.io/{version}\nkind: {kind}\nmetadata: {{name: bad}}\nspec: {spec}\n"
    proc = crds.apply(obj, namespace=testns, check=False)
    assert proc.returncode != 0, proc.stdout
    assert "Invalid value" in proc.stderr or "invalid" in proc.stderr.lower(), proc.stderr
