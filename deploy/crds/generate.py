#!/usr/bin/env python3
"""Writes the metallb.io CustomResourceDefinitions in this folder (apiextensions.k8s.io/v1).

The schemas are structural OpenAPI v3 and follow MetalLB's API (api/v1beta1, api/v1beta2) field by
field, so a cluster that already has MetalLB's objects keeps them, and `ingot config validate` reads
what `kubectl get -o yaml` returns. Run it after changing a schema: `deploy/crds/generate.py`; the
output is committed and checked by tests/system/test_config_crds.py.
"""
import json
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
GROUP = "metallb.io"


def string(desc=None, **extra):
    s = {"type": "string", **extra}
    if desc:
        s["description"] = desc
    return s


def boolean(desc, **extra):
    return {"type": "boolean", "description": desc, **extra}


def integer(desc, fmt=None, **extra):
    s = {"type": "integer", "description": desc, **extra}
    if fmt:
        s["format"] = fmt
    return s


def strings(desc):
    return {"type": "array", "description": desc, "items": {"type": "string"}}


LABEL_SELECTOR = {
    "type": "object",
    "description": "A Kubernetes label selector: matchLabels and matchExpressions are ANDed.",
    "properties": {
        "matchLabels": {"type": "object", "additionalProperties": {"type": "string"}},
        "matchExpressions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["key", "operator"],
                "properties": {
                    "key": {"type": "string"},
                    "operator": {"type": "string",
                                 "description": "In, NotIn, Exists or DoesNotExist."},
                    "values": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
    "x-kubernetes-map-type": "atomic",
}


def selectors(desc):
    return {"type": "array", "description": desc, "items": LABEL_SELECTOR}


DURATION = {"type": "string", "description": "A Go duration such as 90s or 1m30s."}

POOL_SPEC = {
    "type": "object",
    "required": ["addresses"],
    "properties": {
        "addresses": strings("CIDRs (10.0.0.0/24) and ranges (10.0.0.1-10.0.0.9, spaces allowed "
                             "around '-'). No two pools may overlap."),
        "autoAssign": boolean("If false, addresses are given only to services that ask for this "
                              "pool or for an address in it.", default=True),
        "avoidBuggyIPs": boolean("Never give IPv4 addresses ending in .0 or .255.", default=False),
        "serviceAllocation": {
            "type": "object",
            "description": "Restricts the pool to some namespaces and services.",
            "properties": {
                "priority": integer("Lower is preferred; 0 is the lowest priority."),
                "namespaces": strings("Namespaces whose services may use the pool."),
                "namespaceSelectors": selectors("Namespaces by label."),
                "serviceSelectors": selectors("Services by label."),
            },
        },
    },
}

POOL_STATUS = {
    "type": "object",
    "properties": {k: integer("Written by the controller.", "int64")
                   for k in ["assignedIPv4", "assignedIPv6", "availableIPv4", "availableIPv6"]},
}

ADV_POOLS = {
    "ipAddressPools": strings("Pools by name; with ipAddressPoolSelectors empty too, all pools."),
    "ipAddressPoolSelectors": selectors("Pools by label."),
    "nodeSelectors": selectors("Nodes that announce; empty means all nodes."),
    "serviceSelectors": selectors("Services this advertisement applies to."),
}

L2_SPEC = {
    "type": "object",
    "properties": {
        **ADV_POOLS,
        "interfaces": strings("Interfaces to announce on; empty means all."),
        "preferredNodeSelectors": {
            "type": "array",
            "description": "Weighted node preferences for the announcing node (MetalLB main).",
            "items": {
                "type": "object",
                "required": ["weight", "preference"],
                "properties": {
                    "weight": integer("1..100", "int32", minimum=1, maximum=100),
                    "preference": LABEL_SELECTOR,
                },
            },
        },
    },
}

BGPADV_SPEC = {
    "type": "object",
    "properties": {
        "aggregationLength": integer("IPv4 prefix length announced (default 32).", "int32",
                                     minimum=1, maximum=32, default=32),
        "aggregationLengthV6": integer("IPv6 prefix length announced (default 128).", "int32",
                                       minimum=0, maximum=128, default=128),
        "localPref": integer("LOCAL_PREF, sent to iBGP peers only.", "int64", minimum=0,
                             maximum=4294967295),
        "communities": strings("A:B, large:A:B:C, or the name of a Community alias."),
        "peers": strings("BGPPeer names to announce to; empty means all peers."),
        **ADV_POOLS,
    },
}

COMMUNITY_SPEC = {
    "type": "object",
    "properties": {
        "communities": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "name": string("The alias used in BGPAdvertisement.communities."),
                    "value": string("A:B (16-bit each) or large:A:B:C (32-bit each)."),
                },
            },
        },
    },
}

BFD_SPEC = {
    "type": "object",
    "properties": {
        "receiveInterval": integer("Milliseconds, 10..60000 (default 300).", "int32",
                                   minimum=10, maximum=60000),
        "transmitInterval": integer("Milliseconds, 10..60000 (default 300).", "int32",
                                    minimum=10, maximum=60000),
        "detectMultiplier": integer("2..255 (default 3).", "int32", minimum=2, maximum=255),
        "echoInterval": integer("Milliseconds, 10..60000 (default 50).", "int32",
                                minimum=10, maximum=60000),
        "echoMode": boolean("Echo packets (not with IPv6 peers)."),
        "passiveMode": boolean("Wait for the peer to start the session."),
        "minimumTtl": integer("1..254, multihop only.", "int32", minimum=1, maximum=254),
    },
}

PEER_COMMON = {
    "myASN": integer("Local AS.", "int64", minimum=0, maximum=4294967295),
    "peerASN": integer("Remote AS.", "int64", minimum=0, maximum=4294967295),
    "peerAddress": string("Address to connect to."),
    "sourceAddress": string("Local address of the session."),
    "peerPort": integer("Remote port.", minimum=0, maximum=16384),
    "holdTime": DURATION,
    "keepaliveTime": DURATION,
    "routerID": string("BGP identifier (an IPv4 address)."),
    "nodeSelectors": selectors("Nodes that open this session; empty means all nodes."),
    "password": string("TCP-MD5 password (RFC 2385)."),
    "bfdProfile": string("Name of a BFDProfile."),
    "ebgpMultiHop": boolean("The eBGP peer is more than one hop away."),
    "vrf": string("Linux VRF of the session (kept, not implemented by ingot yet)."),
}

PEER_V1BETA1_SPEC = {
    "type": "object",
    "required": ["myASN", "peerASN", "peerAddress"],
    "properties": dict(PEER_COMMON),
}

PEER_V1BETA2_SPEC = {
    "type": "object",
    "required": ["myASN"],
    "properties": {
        **PEER_COMMON,
        "peerPort": integer("Remote port.", minimum=1, maximum=16384, default=179),
        "dynamicASN": string("Accept any internal or external AS instead of peerASN.",
                             enum=["internal", "external"]),
        "localASN": integer("AS presented to this peer (local-as).", "int64", minimum=0,
                            maximum=4294967295),
        "interface": string("Unnumbered BGP over this interface."),
        "connectTime": {
            **DURATION,
            "x-kubernetes-validations": [
                {"rule": "duration(self).getSeconds() >= 1 && "
                         "duration(self).getSeconds() <= 65535",
                 "message": "connect time should be between 1 seconds to 65535"},
                {"rule": "duration(self).getMilliseconds() % 1000 == 0",
                 "message": "connect time should contain a whole number of seconds"},
            ],
        },
        "passwordSecret": {
            "type": "object",
            "description": "A kubernetes.io/basic-auth Secret holding the key 'password'.",
            "properties": {"name": string(), "namespace": string()},
            "x-kubernetes-map-type": "atomic",
        },
        "enableGracefulRestart": boolean(
            "Graceful restart (RFC 4724); cannot change after creation.",
            **{"x-kubernetes-validations": [
                {"rule": "self == oldSelf",
                 "message": "EnableGracefulRestart cannot be changed after creation"}]}),
        "disableMP": boolean("Deprecated, no effect.", default=False),
        "dualStackAddressFamily": boolean("Both address families on one session.",
                                          default=False),
    },
}

SL2_STATUS = {
    "type": "object",
    "properties": {
        "node": string(), "serviceName": string(), "serviceNamespace": string(),
        "interfaces": {"type": "array", "items": {"type": "object",
                                                  "properties": {"name": string()}}},
    },
}

SBGP_STATUS = {
    "type": "object",
    "properties": {
        "node": string(), "serviceName": string(), "serviceNamespace": string(),
        "peers": strings("BGPPeers the service is announced to."),
    },
}

CONFIG_STATE_STATUS = {
    "type": "object",
    "properties": {
        "result": string("Valid, Invalid or Unknown."),
        "errorSummary": string(),
        "conditions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["type", "status"],
                "properties": {
                    "type": string(), "status": string(), "reason": string(),
                    "message": string(), "lastTransitionTime": string(format="date-time"),
                    "observedGeneration": integer("", "int64"),
                },
            },
        },
    },
}


def version(name, spec, storage, status=None, columns=(), deprecated=None):
    props = {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"type": "object"},
    }
    if spec is not None:
        props["spec"] = spec
    props["status"] = status or {"type": "object"}
    v = {
        "name": name,
        "served": True,
        "storage": storage,
        "schema": {"openAPIV3Schema": {"type": "object", "properties": props}},
        "subresources": {"status": {}},
    }
    if columns:
        v["additionalPrinterColumns"] = [
            {"name": n, "type": t, "jsonPath": p} for n, t, p in columns]
    if deprecated:
        v["deprecated"] = True
        v["deprecationWarning"] = deprecated
    return v


def crd(kind, plural, versions, short=None):
    names = {"kind": kind, "listKind": kind + "List", "plural": plural,
             "singular": kind.lower()}
    if short:
        names["shortNames"] = short
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{GROUP}"},
        "spec": {"group": GROUP, "names": names, "scope": "Namespaced",
                 "versions": versions},
    }


AGE = ("Age", "date", ".metadata.creationTimestamp")

PEER_COMMENT = """\
# BGPPeer is served as v1beta1 (deprecated) and v1beta2 (stored), without a conversion webhook
# (strategy None, the default). MetalLB converts through a webhook, but v1beta2 is a superset of
# v1beta1 with the same JSON names and shapes for every shared field (v1beta1's NodeSelector is
# field for field a LabelSelector), so the API server's None conversion, which only rewrites
# apiVersion, loses nothing. This keeps the install free of webhook Services, certificates and the
# availability problems MetalLB's webhooks are known for.
"""

CRDS = [
    ("metallb.io_ipaddresspools.yaml", crd("IPAddressPool", "ipaddresspools", [
        version("v1beta1", POOL_SPEC, True, POOL_STATUS, columns=[
            ("Auto Assign", "boolean", ".spec.autoAssign"),
            ("Avoid Buggy IPs", "boolean", ".spec.avoidBuggyIPs"),
            ("Addresses", "string", ".spec.addresses"), AGE])]), None),
    ("metallb.io_l2advertisements.yaml", crd("L2Advertisement", "l2advertisements", [
        version("v1beta1", L2_SPEC, True, columns=[
            ("IPAddressPools", "string", ".spec.ipAddressPools"),
            ("Interfaces", "string", ".spec.interfaces"), AGE])]), None),
    ("metallb.io_bgpadvertisements.yaml", crd("BGPAdvertisement", "bgpadvertisements", [
        version("v1beta1", BGPADV_SPEC, True, columns=[
            ("IPAddressPools", "string", ".spec.ipAddressPools"),
            ("Peers", "string", ".spec.peers"), AGE])]), None),
    ("metallb.io_bgppeers.yaml", crd("BGPPeer", "bgppeers", [
        version("v1beta1", PEER_V1BETA1_SPEC, False, columns=[
            ("Address", "string", ".spec.peerAddress"), ("ASN", "string", ".spec.peerASN"),
            AGE], deprecated="metallb.io/v1beta1 BGPPeer is deprecated; use metallb.io/v1beta2"),
        version("v1beta2", PEER_V1BETA2_SPEC, True, columns=[
            ("Address", "string", ".spec.peerAddress"), ("ASN", "string", ".spec.peerASN"),
            ("BFD Profile", "string", ".spec.bfdProfile"),
            ("Multi Hops", "string", ".spec.ebgpMultiHop"), AGE])]), PEER_COMMENT),
    ("metallb.io_communities.yaml", crd("Community", "communities", [
        version("v1beta1", COMMUNITY_SPEC, True, columns=[AGE])]), None),
    ("metallb.io_bfdprofiles.yaml", crd("BFDProfile", "bfdprofiles", [
        version("v1beta1", BFD_SPEC, True, columns=[
            ("Passive Mode", "boolean", ".spec.passiveMode"),
            ("Transmit Interval", "integer", ".spec.transmitInterval"),
            ("Receive Interval", "integer", ".spec.receiveInterval"),
            ("Multiplier", "integer", ".spec.detectMultiplier"), AGE])]), None),
    ("metallb.io_servicel2statuses.yaml", crd("ServiceL2Status", "servicel2statuses", [
        version("v1beta1", {"type": "object"}, True, SL2_STATUS, columns=[
            ("Allocated Node", "string", ".status.node"),
            ("Service Name", "string", ".status.serviceName"),
            ("Service Namespace", "string", ".status.serviceNamespace")])]), None),
    ("metallb.io_servicebgpstatuses.yaml", crd("ServiceBGPStatus", "servicebgpstatuses", [
        version("v1beta1", {"type": "object"}, True, SBGP_STATUS, columns=[
            ("Node", "string", ".status.node"),
            ("Service Name", "string", ".status.serviceName"),
            ("Service Namespace", "string", ".status.serviceNamespace")])]), None),
    ("metallb.io_configurationstates.yaml", crd("ConfigurationState", "configurationstates", [
        version("v1beta1", None, True, CONFIG_STATE_STATUS, columns=[
            ("Result", "string", ".status.result"),
            ("ErrorSummary", "string", ".status.errorSummary"), AGE])]), None),
]

HEADER = "# Generated by deploy/crds/generate.py; edit that file, not this one.\n"


def main():
    for filename, obj, comment in CRDS:
        # JSON is YAML: one document, exact and free of quoting surprises.
        text = HEADER + (comment or "") + json.dumps(obj, indent=2) + "\n"
        (HERE / filename).write_text(text)
    names = "".join(f"- {f}\n" for f, _, _ in CRDS)
    (HERE / "kustomization.yaml").write_text(
        HEADER + "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "resources:\n" + names)


if __name__ == "__main__":
    main()
