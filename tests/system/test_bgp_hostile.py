"""Hostile BGP peers against ingot's speaker (bgp-announce), while it holds a session to BIRD.

A raw-socket peer (Python, in node2's namespace) connects to the speaker in node1, once per
case from its own source address (each case is its own configured passive peer, so the idle-hold
backoff of one failed peer never delays the next case), and sends malformed headers, OPENs and
UPDATEs.  Each answer is parsed: the NOTIFICATION's code and subcode must be the ones RFC 4271
§6 prescribes (as revised by RFC 7606 for UPDATEs: errors with a "treat-as-withdraw"
disposition get no NOTIFICATION and the session must stay up).  Meanwhile the speaker's session
to a real BIRD must not flap.

Run as root: INGOT_BUILD=<build dir> /usr/bin/python3 -m pytest tests/system/test_bgp_hostile.py
"""

from __future__ import annotations

import json
import time

from fixtures.netns import PYTHON
from test_bgp_routers import ESTABLISH, bgp_driver, peer_line, router_v4, speaker  # noqa: F401 (fixtures)

HOSTILE_AS = 65099
SPEAKER_AS = 64513

# Each case: (name, phase, hex of what the peer sends, expected (code, subcode) or None for
# "no NOTIFICATION, the session stays up").  phase "open": sent instead of the peer's OPEN;
# "established": sent once the session is up.  The peer script builds messages from the
# templates below ({OPEN} is a valid OPEN body).
M = "ff" * 16


def msg(type_: int, body: str, length: int | None = None) -> str:
    n = 19 + len(body) // 2 if length is None else length
    return M + f"{n:04x}{type_:02x}" + body


def open_body(version=4, asn=HOSTILE_AS, hold=3, bgp_id="c0000264", params=None) -> str:
    if params is None:
        # capabilities: MP IPv4 unicast, 4-octet AS
        caps = "0104" + "00010001" + "4104" + f"{asn:08x}"
        params = "02" + f"{len(caps) // 2:02x}" + caps
    return f"{version:02x}{asn:04x}{hold:04x}{bgp_id}{len(params) // 2:02x}{params}"


ORIGIN_IGP = "40010100"
AS_PATH_EMPTY = "400200"
NEXT_HOP = "400304c0000264"


def update(attrs: str, nlri: str = "18cb0071", withdrawn: str = "") -> str:
    body = f"{len(withdrawn) // 2:04x}{withdrawn}{len(attrs) // 2:04x}{attrs}{nlri}"
    return msg(2, body)


CASES = [
    # --- message header (RFC 4271 §6.1) ---
    ("bad marker", "open", "00" + msg(1, open_body())[2:], (1, 1)),
    ("length below 19", "open", msg(4, "", length=18), (1, 2)),
    ("length above 4096", "open", msg(2, "00" * 8, length=4097), (1, 2)),
    ("unknown type", "open", msg(9, ""), (1, 3)),
    ("OPEN shorter than 29", "open", msg(1, open_body()[:16]), (1, 2)),
    ("KEEPALIVE of 20 octets", "established", msg(4, "00"), (1, 2)),
    ("UPDATE shorter than 23", "established", msg(2, "0000"), (1, 2)),
    # --- OPEN (RFC 4271 §6.2, RFC 5492) ---
    ("version 3", "open", msg(1, open_body(version=3)), (2, 1)),
    ("wrong peer AS", "open", msg(1, open_body(asn=65098)), (2, 2)),
    ("BGP identifier 0", "open", msg(1, open_body(bgp_id="00000000")), (2, 3)),
    ("hold time 1", "open", msg(1, open_body(hold=1)), (2, 6)),
    ("unsupported optional parameter", "open", msg(1, open_body(params="0302abcd")), (2, 4)),
    # --- UPDATE: session resets (RFC 4271 §6.3, RFC 7606 §3 g, §4, §5.3, RFC 4760 §7) ---
    ("withdrawn length past the message", "established", msg(2, "0040" + "0000"), (3, 1)),
    ("NLRI prefix length 33", "established", update(ORIGIN_IGP + AS_PATH_EMPTY + NEXT_HOP, nlri="21cb007101ff"),
     (3, 10)),
    ("MP_REACH_NLRI twice", "established",
     update("800e0900010104c0000264" + "00" + "800e0900010104c0000264" + "00", nlri=""), (3, 1)),
    ("MP_REACH_NLRI next hop length 5", "established",
     update(ORIGIN_IGP + AS_PATH_EMPTY + "800e0a00020105" + "2001db8001" + "00", nlri=""), (3, 9)),
    ("unrecognized well-known attribute", "established",
     update(ORIGIN_IGP + AS_PATH_EMPTY + NEXT_HOP + "406301ff"), (3, 2)),
    # --- UPDATE: treat-as-withdraw, no NOTIFICATION (RFC 7606 §3 c, §7.1, §7.8) ---
    ("ORIGIN with the optional flag", "established", update("c0010100" + AS_PATH_EMPTY + NEXT_HOP), None),
    ("ORIGIN of length 2", "established", update("4001020000" + AS_PATH_EMPTY + NEXT_HOP), None),
    ("COMMUNITIES of length 3", "established",
     update(ORIGIN_IGP + AS_PATH_EMPTY + NEXT_HOP + "c00803010203"), None),
    ("attribute length past the attribute list", "established",
     update(ORIGIN_IGP + AS_PATH_EMPTY + "400310c0000264"), None),
]

# The hostile peer: runs every case in order, prints a JSON list of results.
_PEER_SRC = r"""
import json, socket, struct, sys, time
args = json.loads(sys.argv[1])
OPEN = bytes.fromhex(args["open"])
KEEPALIVE = bytes.fromhex("ff" * 16 + "001304")

def read_msg(s, deadline):
    buf = b""
    while True:
        if len(buf) >= 19:
            n = struct.unpack("!H", buf[16:18])[0]
            if len(buf) >= n:
                return buf[:n], buf[n:]
        s.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = s.recv(4096)
        if not chunk:
            return None, b""
        buf += chunk

def messages(s, deadline):
    rest = b""
    while time.monotonic() < deadline:
        if len(rest) >= 19 and len(rest) >= struct.unpack("!H", rest[16:18])[0]:
            n = struct.unpack("!H", rest[16:18])[0]
            m, rest = rest[:n], rest[n:]
            yield m
            continue
        s.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            return
        if not chunk:
            yield None
            return
        rest += chunk

def run(case):
    name, phase, payload, src = case["name"], case["phase"], bytes.fromhex(case["send"]), case["src"]
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(5)
    s.connect((args["target"], 179))
    deadline = time.monotonic() + 5
    it = messages(s, deadline)
    if phase == "established":
        s.sendall(OPEN)
        got_open = False
        for m in it:
            if m is None or m[18] == 3:
                return {"name": name, "error": "session did not come up", "msg": m and m.hex()}
            if m[18] == 1:
                got_open = True
                s.sendall(KEEPALIVE)
            elif m[18] == 4 and got_open:
                break
    s.sendall(payload)
    result = {"name": name, "notification": None, "closed": False, "keepalives_after": 0}
    deadline2 = time.monotonic() + args["wait"]
    for m in messages(s, deadline2):
        if m is None:
            result["closed"] = True
            break
        if m[18] == 3:
            result["notification"] = [m[19], m[20]]
            result["data"] = m[21:].hex()
            break
        if m[18] == 4:
            result["keepalives_after"] += 1
    s.close()
    return result

print(json.dumps([run(c) for c in args["cases"]]))
"""


def test_malformed_messages_get_the_right_notification_and_bird_session_stays(bgp_lab, bird, speaker):
    lab = bgp_lab
    n1, n2 = lab.nodes
    router = bird(lab.router, asn=lab.router_asn, router_id=router_v4(lab), hold_time=3, peers=[n1.v4])
    # One source address per case on node2.
    srcs = [str(lab.node_lan.v4[100 + i]) for i in range(len(CASES))]
    for a in srcs:
        n2.add_addr(f"{a}/32")
    peers = [peer_line(router_v4(lab), lab.router_asn, n1, SPEAKER_AS)]
    peers += [f"{a} as={HOSTILE_AS} local-as={SPEAKER_AS} router-id={n1.v4} hold=3 passive" for a in srcs]
    sp = speaker(n1, peers, ["route 203.0.113.50/32"], args=["--listen", f"{n1.v4},179"])
    router.wait_for(lambda: "203.0.113.50/32" in router.routes(), timeout=ESTABLISH, what="route at BIRD")
    since = router.protocols()["peer1"]["since"]

    cases = [{"name": c[0], "phase": c[1], "send": c[2], "src": srcs[i]} for i, c in enumerate(CASES)]
    args = {"target": n1.v4, "open": msg(1, open_body()), "cases": cases, "wait": 2.5}
    out = n2.run([PYTHON, "-c", _PEER_SRC, json.dumps(args)], timeout=120).stdout
    results = {r["name"]: r for r in json.loads(out)}

    failures = []
    for name, _, _, expected in CASES:
        r = results[name]
        if "error" in r:
            failures.append(f"{name}: {r}")
        elif expected is None:
            # RFC 7606: treat-as-withdraw; the session carries on (keepalives keep coming).
            if r["notification"] is not None or r["closed"] or r["keepalives_after"] < 1:
                failures.append(f"{name}: expected the session to stay up, got {r}")
        elif r["notification"] != list(expected):
            failures.append(f"{name}: expected NOTIFICATION {expected}, got {r}")
    assert not failures, "\n".join(failures) + "\n" + sp.logtext()[-3000:]

    # The session to BIRD never flapped, and the speaker still works.
    time.sleep(0.5)
    assert router.protocols()["peer1"]["since"] == since and router.established() == ["peer1"]
    status = sp.status()
    assert status[0]["state"] == "Established" and status[0]["established_count"] == 1, status[0]
    sp.cmd("route 203.0.113.51/32")
    router.wait_for(lambda: "203.0.113.51/32" in router.routes(), timeout=10, what="new route after the attack")
