"""The documentation against the code it describes. No cluster is needed; the last tests build a
network-namespace lab (root), as the other system tests do.

- Every manual page in docs/man renders with groff's man macros without a single warning (-ww),
  for the ASCII and the UTF-8 devices.
- There is one page per subcommand `ingot --help` lists, and a page for no other; the pages carry
  the sections a reader looks for (NAME, SYNOPSIS, DESCRIPTION, OPTIONS, EXIT STATUS, SEE ALSO,
  and SIGNALS for the daemons).
- For every subcommand, the options `ingot <cmd> --help` prints and the options in the OPTIONS
  section of its page are the same set, long and short, so the two cannot drift apart; ingot(8)
  lists exactly the commands `ingot --help` lists, and ingot-config(8) exactly its actions.
- Every relative link in docs/guide/*.md (and the guide links in README.md) points to a file that
  exists, and an #anchor to a heading that exists; the guide's index links every page.
- Every ```yaml block of the guide parses as YAML; those holding MetalLB configuration (metallb.io
  objects or a legacy ConfigMap) pass `ingot config validate` with no warning but "not a MetalLB
  object". Router examples parse with the routers' own checkers: ```bird blocks with `bird -p`,
  ```frr blocks with `vtysh --dryrun`.
- docs/guide/operations.md lists exactly the metric families src/ registers.
- The examples work, not only parse: in the seed's lab (router 172.30.8.35, AS 64500), BIRD and FRR
  running the BGP page's first router example each peer with two nodes running `ingot run` on the
  standalone page's example and install 198.51.100.1/32 as an ECMP route; BIRD and FRR running the
  BFD section's example bring BFD up with `ingot run` on that section's configuration, and drop the
  route within seconds when the node's ingot is stopped with SIGSTOP; BIRD running the graceful
  shutdown filter gives the route LOCAL_PREF 0 during `ingot run --gshut-wait 3`'s stop; the layer 2
  page's example on two hosts with the failure detector: the node the page's election rule names
  answers ARP, and the other one takes over within seconds of a kill -9.

Run: INGOT_BIN=<build>/ingot /usr/bin/python3 -m pytest -p no:cacheprovider tests/system/test_docs.py
"""
from __future__ import annotations

import os
import re
import signal
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
MAN = REPO / "docs" / "man"
GUIDE = REPO / "docs" / "guide"
DAEMONS = ("controller", "speaker", "run")
SECTIONS = ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS", "SEE ALSO")

# -- helpers ---------------------------------------------------------------------------------------


def ingot_help(ingot_bin, *cmd: str) -> str:
    r = subprocess.run([str(ingot_bin), *cmd, "--help"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0, f"ingot {' '.join(cmd)} --help exited {r.returncode}: {r.stderr}"
    return r.stdout


def commands(ingot_bin) -> list[str]:
    """The subcommands `ingot --help` lists (the lines under "commands:")."""
    text = ingot_help(ingot_bin)
    block = text.split("commands:", 1)[1].split("\n\n", 1)[0]
    names = re.findall(r"^  ([a-z]+)\s", block, re.M)
    assert names, text
    return names


def render(page: Path) -> str:
    """The page as plain ASCII text: no hyphenation, wide lines, no overstriking."""
    r = subprocess.run(["groff", "-man", "-Tascii", "-rHY=0", "-rLL=200n", "-P-cbou", str(page)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout


def sections(text: str) -> dict[str, str]:
    """Rendered page -> {SECTION NAME: its body}; headings are the lines at column 0."""
    out: dict[str, str] = {}
    name = None
    for line in text.splitlines()[1:]:
        if line and not line[0].isspace() and line.upper() == line and not line.startswith("INGOT"):
            name = line.strip()
            out[name] = ""
        elif name:
            out[name] += line + "\n"
    return out


LONG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
SHORT = re.compile(r"(?<![\w-])-[a-zA-Z](?![\w-])")


def options(text: str) -> set[str]:
    """Long and short options named in text, without -h/--help (every command takes those; that
    --help works is proven by running it)."""
    return (set(LONG.findall(text)) | set(SHORT.findall(text))) - {"-h", "--help"}


def man_pages() -> list[Path]:
    return sorted(MAN.glob("*.8"))


# -- manual pages ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def groff():
    if not shutil.which("groff"):
        pytest.fail("groff not found: install groff-base (Debian), which man-db also needs")
    return "groff"


def test_a_page_per_command(ingot_bin):
    want = {"ingot.8"} | {f"ingot-{c}.8" for c in commands(ingot_bin)}
    have = {p.name for p in man_pages()}
    assert have == want, f"missing: {sorted(want - have)}, without a command: {sorted(have - want)}"


@pytest.mark.parametrize("page", [p.name for p in man_pages()])
@pytest.mark.parametrize("device", ["ascii", "utf8"])
def test_page_renders_without_warnings(groff, page, device):
    r = subprocess.run(["groff", "-man", f"-T{device}", "-ww", "-z", str(MAN / page)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and r.stderr == "", f"{page} ({device}):\n{r.stderr}"


@pytest.mark.parametrize("page", [p.name for p in man_pages()])
def test_page_has_its_sections(groff, page):
    text = render(MAN / page)
    name = page[:-2]
    assert text.splitlines()[0].startswith(name.upper() + "(8)"), text.splitlines()[0]
    secs = sections(text)
    want = SECTIONS + (("SIGNALS", "FILES") if name.removeprefix("ingot-") in DAEMONS else ())
    missing = [s for s in want if s not in secs]
    assert not missing, f"{page}: no {missing}; has {list(secs)}"
    assert secs["NAME"].strip().startswith(f"{name} - "), secs["NAME"]


@pytest.mark.parametrize("cmd", ["controller", "speaker", "run", "status", "version"])
def test_options_match_help(ingot_bin, groff, cmd):
    page = MAN / f"ingot-{cmd}.8"
    assert page.is_file(), page
    from_help = options(ingot_help(ingot_bin, cmd))
    assert from_help, f"ingot {cmd} --help names no option"
    man_options = sections(render(page))["OPTIONS"]
    from_man = options(man_options)
    assert from_help == from_man, (f"ingot-{cmd}(8) lacks {sorted(from_help - from_man)}; "
                                   f"--help lacks {sorted(from_man - from_help)}")
    assert "--help" in man_options


def test_config_actions_match_help(ingot_bin, groff):
    text = ingot_help(ingot_bin, "config")
    from_help = set(re.findall(r"^usage: ingot config (\w+)|^       ingot config (\w+)", text, re.M))
    from_help = {a or b for a, b in from_help}
    assert from_help, text
    secs = sections(render(MAN / "ingot-config.8"))
    from_man = set(re.findall(r"^ {7}([a-z]+)(?:\s|$)", secs["ACTIONS"], re.M))
    assert from_help == from_man, (from_help, from_man)
    assert options(text) == options(secs["OPTIONS"]) == set()


def test_overview_lists_every_command(ingot_bin, groff):
    secs = sections(render(MAN / "ingot.8"))
    listed = set(re.findall(r"^ {7}([a-z]+)(?:\s|$)", secs["COMMANDS"], re.M))
    assert listed == set(commands(ingot_bin))
    see_also = secs["SEE ALSO"]
    for c in commands(ingot_bin):
        assert f"ingot-{c}(8)" in see_also, c


# -- the guide -------------------------------------------------------------------------------------

LINK = re.compile(r"(?<!\!)\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```\s*$", re.S | re.M)


def guide_pages() -> list[Path]:
    return sorted(GUIDE.glob("*.md"))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(md: Path) -> set[str]:
    text = FENCE.sub("", md.read_text())
    return {slug(h) for h in re.findall(r"^#{1,6}\s+(.*)$", text, re.M)}


def links(md: Path) -> list[str]:
    return LINK.findall(FENCE.sub("", md.read_text()))


def test_guide_exists():
    assert (GUIDE / "README.md").is_file()
    assert len(guide_pages()) >= 8, [p.name for p in guide_pages()]


@pytest.mark.parametrize("page", [p.name for p in guide_pages()] + ["../../README.md"])
def test_relative_links_resolve(page):
    md = (GUIDE / page).resolve()
    checked = 0
    for target in links(md):
        if re.match(r"[a-z][a-z+.-]*:", target):      # http:, https:, mailto:
            continue
        path, _, frag = target.partition("#")
        dest = (md.parent / path).resolve() if path else md
        assert dest.exists(), f"{md.name}: link to {target}: {dest} does not exist"
        if frag and dest.suffix == ".md":
            assert frag in anchors(dest), f"{md.name}: link to {target}: no heading #{frag} in {dest.name}"
        checked += 1
    if page == "README.md":
        assert checked, "the guide's index links nowhere"


def test_index_links_every_page():
    linked = {Path(t.partition("#")[0]).name for t in links(GUIDE / "README.md")}
    missing = [p.name for p in guide_pages() if p.name != "README.md" and p.name not in linked]
    assert not missing, f"docs/guide/README.md does not link {missing}"


def blocks(lang: str) -> list[tuple[str, int, str]]:
    """(page, line, text) of every fenced block of this language in the guide."""
    out = []
    for md in guide_pages():
        text = md.read_text()
        for m in FENCE.finditer(text):
            if m.group(1) == lang:
                out.append((md.name, text.count("\n", 0, m.start()) + 1, m.group(2)))
    return out


LEGACY_KEYS = {"peers", "address-pools", "bgp-communities", "bfd-profiles"}


def is_metallb_config(doc) -> bool:
    if not isinstance(doc, dict):
        return False
    if str(doc.get("apiVersion", "")).startswith("metallb.io/"):
        return True
    if doc.get("kind") == "ConfigMap" and isinstance(doc.get("data"), dict) and "config" in doc["data"]:
        return True
    return bool(LEGACY_KEYS & set(doc)) and "apiVersion" not in doc


def test_yaml_examples_parse_and_validate(ingot_bin):
    examples = blocks("yaml")
    assert examples, "no ```yaml block in the guide"
    validated = 0
    for page, line, text in examples:
        where = f"{page}:{line}"
        try:
            docs = [d for d in yaml.safe_load_all(text) if d is not None]
        except yaml.YAMLError as exc:
            pytest.fail(f"{where}: not YAML: {exc}")
        if not any(is_metallb_config(d) for d in docs):
            continue
        r = subprocess.run([str(ingot_bin), "config", "validate", "-"], input=text, capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 0, f"{where}: ingot config validate exited {r.returncode}:\n{r.stderr}"
        assert r.stdout.startswith("configuration OK"), f"{where}: {r.stdout}"
        warnings = [w for w in r.stderr.splitlines() if "not a MetalLB object" not in w]
        assert not warnings, f"{where}: warnings:\n" + "\n".join(warnings)
        validated += 1
    assert validated >= 5, f"only {validated} MetalLB examples found"


def test_bird_examples_parse(tmp_path):
    examples = blocks("bird")
    assert examples, "no ```bird block in the guide"
    if not shutil.which("bird"):
        pytest.skip("bird (BIRD 2) not installed: tools/install-deps installs it")
    for i, (page, line, text) in enumerate(examples):
        conf = tmp_path / f"bird{i}.conf"
        conf.write_text(text)
        r = subprocess.run(["bird", "-p", "-c", str(conf)], capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, f"{page}:{line}: bird -p:\n{r.stdout}{r.stderr}"


def test_frr_examples_parse(tmp_path):
    examples = blocks("frr")
    assert examples, "no ```frr block in the guide"
    if not shutil.which("vtysh"):
        pytest.skip("vtysh (FRR) not installed: tools/install-deps installs it")
    (tmp_path / "vtysh.conf").write_text("")     # else vtysh reads /etc/frr/vtysh.conf
    for i, (page, line, text) in enumerate(examples):
        conf = tmp_path / f"frr{i}.conf"
        conf.write_text(text)
        r = subprocess.run(["vtysh", "--config_dir", str(tmp_path), "--dryrun", "--inputfile", str(conf)],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 and "Unknown command" not in r.stdout + r.stderr, \
            f"{page}:{line}: vtysh --dryrun:\n{r.stdout}{r.stderr}"


def test_frr_checker_catches_errors(tmp_path):
    """The FRR check above means something: vtysh --dryrun refuses a misspelt command."""
    if not shutil.which("vtysh"):
        pytest.skip("vtysh (FRR) not installed")
    (tmp_path / "vtysh.conf").write_text("")
    conf = tmp_path / "bad.conf"
    conf.write_text("router bgp 64500\n neighbr nodes peer-group\nexit\n")
    r = subprocess.run(["vtysh", "--config_dir", str(tmp_path), "--dryrun", "--inputfile", str(conf)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 or "Unknown command" in r.stdout + r.stderr


# -- metrics ---------------------------------------------------------------------------------------

REGISTER = re.compile(r"metrics_(?:gauge|counter|untyped|histogram)\(\s*[^,()]+,\s*\"([a-z_:][a-z0-9_:]*)\"")
# Families registered from a table (src/speaker/spkd_ops.c: struct status_metric): the name opens an entry.
REGISTER_TABLE = re.compile(r"^\s*\{\s*\"((?:metallb|ingot)_[a-z0-9_]+)\",", re.M)
METRIC = re.compile(r"`((?:metallb|ingot)_[a-z0-9_]+)`")


def registered_metrics() -> set[str]:
    """Every metric family the daemons register (src/, string literals at the call)."""
    names = set()
    for c in (REPO / "src").rglob("*.c"):
        text = c.read_text(errors="replace")
        names |= set(REGISTER.findall(text)) | set(REGISTER_TABLE.findall(text))
    return names


def test_metrics_documented_are_the_registered_ones():
    """docs/guide/operations.md lists exactly the metric families the code registers, and no page
    of the guide names a metric that does not exist."""
    code = registered_metrics()
    assert code, "no metric registration found in src/"
    ops = set(METRIC.findall((GUIDE / "operations.md").read_text()))
    assert ops == code, f"undocumented: {sorted(code - ops)}; documented but absent: {sorted(ops - code)}"
    for md in guide_pages():
        unknown = set(METRIC.findall(md.read_text())) - code
        assert not unknown, f"{md.name} names metrics that do not exist: {sorted(unknown)}"


# -- the router examples, live ---------------------------------------------------------------------

def first_block(page: str, lang: str) -> str:
    for p, _, text in blocks(lang):
        if p == page:
            return text
    raise AssertionError(f"no ```{lang} block in {page}")


def run_guide_example(topology, ingot_bin, tmp_path, router_start):
    """The seed's lab with two nodes: the router runs the guide's first example config for it, each
    node runs `ingot run` on the standalone page's example; the router must hold a session with
    each node and install 198.51.100.1/32 as one ECMP route through both."""
    from fixtures.netns import Node, wait_for
    sys.path.insert(0, str(Path(__file__).resolve().parent / "data" / "speaker"))
    import seedlab

    lab = seedlab.build_bgp_seed_lab(topology, Node, nodes=2)
    router = router_start(lab)
    files = tmp_path / "files"
    files.mkdir()
    (files / "example.yaml").write_text(first_block("standalone.md", "yaml"))
    procs = [node.popen([str(ingot_bin), "run", "-f", str(files), "--node-name", f"node{i}"],
                        log=f"run-node{i}.log") for i, node in enumerate(lab.nodes, 1)]
    try:
        prefix = seedlab.SEED_BGP_IP + "/32"
        wait_for(lambda: set(router.kernel_routes().get(prefix) and
                             [h["gateway"] for h in router.kernel_routes()[prefix]] or []) == set(lab.node_ips),
                 timeout=40, what=f"{prefix} via both nodes in the router's kernel")
        assert len(router.established()) == 2, router.log()
        for p in procs:
            assert p.poll() is None, "ingot run exited"
    finally:
        for node, p in zip(lab.nodes, procs):
            node.stop(p)


def test_bird_example_peers_with_ingot(topology, bird, ingot_bin, tmp_path):
    if not shutil.which("bird"):
        pytest.skip("bird (BIRD 2) not installed")

    def start(lab):
        r = bird(lab.router, asn=64500, router_id="172.30.8.35", peers=[], start=False)
        r.conf.write_text(f'log "{r.dir / "bird.log"}" all;\n' + first_block("bgp.md", "bird"))
        r.start()
        return r
    run_guide_example(topology, ingot_bin, tmp_path, start)


def test_frr_example_peers_with_ingot(topology, frr, ingot_bin, tmp_path):
    if not shutil.which("vtysh"):
        pytest.skip("FRR not installed")

    def start(lab):
        r = frr(lab.router, asn=64500, router_id="172.30.8.35", peers=[], start=False)
        (r.dir / "bgpd.conf").write_text(first_block("bgp.md", "frr") + f"log file {r.dir / 'bgpd.log'}\n")
        r.start()
        return r
    run_guide_example(topology, ingot_bin, tmp_path, start)


def nth_block(page: str, lang: str, n: int) -> str:
    found = [text for p, _, text in blocks(lang) if p == page]
    assert len(found) > n, f"fewer than {n + 1} ```{lang} blocks in {page}"
    return found[n]




@pytest.mark.parametrize("kind", ["bird", "frr"])
def test_bfd_examples_with_ingot(topology, bird, frr, ingot_bin, tmp_path, kind):
    """The BFD section's examples together: `ingot run` with the guide's BFDProfile and BGPPeer, the
    router with the guide's BFD configuration; BFD comes Up, the route reaches the router's kernel;
    the node's ingot stopped with SIGSTOP (no TCP close, no NOTIFICATION) makes the router drop the
    route well before any hold time expires."""
    if not shutil.which("bird" if kind == "bird" else "vtysh"):
        pytest.skip(f"{kind} not installed")
    from fixtures.netns import Node, wait_for
    sys.path.insert(0, str(Path(__file__).resolve().parent / "data" / "speaker"))
    import seedlab

    text = (GUIDE / "bgp.md").read_text().split("## BFD", 1)[1].split("\n## ", 1)[0]
    yaml_text = re.search(r"^```yaml\n(.*?)^```", text, re.S | re.M).group(1)
    router_text = re.search(rf"^```{kind}\n(.*?)^```", text, re.S | re.M).group(1)
    lab = seedlab.build_bgp_seed_lab(topology, Node, nodes=1)
    if kind == "bird":
        router = bird(lab.router, asn=64500, router_id="172.30.8.35", peers=[], start=False)
        router.conf.write_text(f'log "{router.dir / "bird.log"}" all;\n' + router_text)
    else:
        router = frr(lab.router, asn=64500, router_id="172.30.8.35", peers=[], bfd=True, start=False)
        bfd_part, _, bgp_part = router_text.partition("router bgp")
        (router.dir / "bfdd.conf").write_text("hostname bfdd\n" + bfd_part)
        (router.dir / "bgpd.conf").write_text("frr defaults traditional\nrouter bgp" + bgp_part)
    router.start()
    files = tmp_path / "files"
    files.mkdir()
    (files / "config.yaml").write_text(yaml_text)
    (files / "service.yaml").write_text(seedlab.lb_service("nginx", selector=False))
    node = lab.nodes[0]
    proc = node.popen([str(ingot_bin), "run", "-f", str(files), "--node-name", "node1"], log="run.log")
    prefix = seedlab.SEED_BGP_IP + "/32"
    try:
        wait_for(lambda: prefix in router.kernel_routes(), timeout=40,
                 what=f"{prefix} in the router's kernel table")

        def bfd_up():
            if kind == "bird":
                out = router.birdc("show", "bfd", "sessions").stdout
                return any(lab.node_ips[0] in line and " Up " in line for line in out.splitlines())
            out = router.vtysh("show bfd peers brief")
            return any(lab.node_ips[0] in line and line.split()[-1] == "up" for line in out.splitlines())
        wait_for(bfd_up, timeout=20, what=f"BFD Up with {lab.node_ips[0]} at the router")
        os.kill(proc.pid, signal.SIGSTOP)
        t0 = time.monotonic()
        wait_for(lambda: prefix not in router.kernel_routes(), timeout=10, interval=0.05,
                 what=f"{prefix} gone after the node stopped answering BFD")
        assert time.monotonic() - t0 < 5, "the route left by the hold timer, not by BFD"
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGCONT)
        node.stop(proc)


def test_bird_graceful_shutdown_example_with_ingot(topology, bird, ingot_bin, tmp_path):
    """The graceful shutdown section's BIRD filter with `ingot run --gshut-wait 3`: on SIGTERM the
    route comes back with 65535:0 and BIRD's filter gives it LOCAL_PREF 0; it is withdrawn after
    the wait, and ingot exits 0."""
    if not shutil.which("bird"):
        pytest.skip("bird (BIRD 2) not installed")
    from fixtures.netns import Node, wait_for
    sys.path.insert(0, str(Path(__file__).resolve().parent / "data" / "speaker"))
    import seedlab

    text = (GUIDE / "bgp.md").read_text().split("## Graceful shutdown", 1)[1].split("\n## ", 1)[0]
    bird_text = re.search(r"^```bird\n(.*?)^```", text, re.S | re.M).group(1)
    lab = seedlab.build_bgp_seed_lab(topology, Node, nodes=1)
    router = bird(lab.router, asn=64500, router_id="172.30.8.35", peers=[], start=False)
    router.conf.write_text(f'log "{router.dir / "bird.log"}" all;\n' + bird_text)
    router.start()
    files = tmp_path / "files"
    files.mkdir()
    (files / "example.yaml").write_text(first_block("standalone.md", "yaml"))
    node = lab.nodes[0]
    proc = node.popen([str(ingot_bin), "run", "-f", str(files), "--node-name", "node1", "--gshut-wait", "3"],
                      log="run.log")
    prefix = seedlab.SEED_BGP_IP + "/32"
    try:
        route = wait_for(lambda: seedlab.bird_route(router, prefix), timeout=40, what=f"{prefix} in BIRD")
        assert route[0]["local_pref"] != 0, route
        proc.send_signal(signal.SIGTERM)
        t0 = time.monotonic()
        route = wait_for(lambda: [r for r in seedlab.bird_route(router, prefix) if (65535, 0) in r["communities"]],
                         timeout=5, interval=0.05, what="the route with GRACEFUL_SHUTDOWN")
        assert route[0]["local_pref"] == 0, route
        wait_for(lambda: not seedlab.bird_route(router, prefix), timeout=10, interval=0.05, what="withdrawn")
        assert time.monotonic() - t0 >= 2.5, "withdrawn before the --gshut-wait period"
        assert proc.wait(timeout=10) == 0
    finally:
        node.stop(proc)


def test_layer2_example_with_failure_detector(topology, ingot_bin, tmp_path):
    """The layer 2 page's example on two hosts running `ingot run` with a shared key (the failure
    detector on): the node the page's election rule names answers ARP; after `kill -9` of its
    ingot the other node answers, within a few seconds (no Node condition changes here: only the
    detector can tell)."""
    from fixtures.netns import Node, wait_for
    sys.path.insert(0, str(Path(__file__).resolve().parent / "data" / "speaker"))
    import seedlab

    lab = seedlab.build_l2_seed_lab(topology, Node, nodes=2)
    names = ["node1", "node2"]
    files = tmp_path / "files"
    files.mkdir()
    (files / "config.yaml").write_text(first_block("layer2.md", "yaml"))
    (files / "service.yaml").write_text(seedlab.lb_service("nginx", selector=False))
    (files / "nodes.yaml").write_text("---\n".join(seedlab.node_object(n, address=ip)
                                                   for n, ip in zip(names, lab.node_ips)))
    key = tmp_path / "secretkey"
    key.write_text("c2VjcmV0IGtleSBmb3IgdGhlIGRvY3MgdGVzdA\n")
    procs = {n: ns.popen([str(ingot_bin), "run", "-f", str(files), "--node-name", n,
                          "--ml-secret-key-path", str(key)], log="run.log")
             for n, ns in zip(names, lab.nodes)}
    macs = {n: ns.mac().lower() for n, ns in zip(names, lab.nodes)}
    ip = "192.168.1.240"
    owner = seedlab.l2_owner(names, ip)
    heir = next(n for n in names if n != owner)
    try:
        wait_for(lambda: seedlab.arping_macs(lab.client, ip) == {macs[owner]}, timeout=20,
                 what=f"ARP answers from {owner}, the lowest sha256(node#ip)")
        procs[owner].kill()
        procs[owner].wait(timeout=5)
        t0 = time.monotonic()
        wait_for(lambda: seedlab.arping_macs(lab.client, ip) == {macs[heir]}, timeout=10, interval=0.1,
                 what=f"ARP answers from {heir} after the owner died")
        assert time.monotonic() - t0 < 5
        assert "to=dead" in (lab.nodes[names.index(heir)].workdir / "run.log").read_text()
    finally:
        for n, ns in zip(names, lab.nodes):
            ns.stop(procs[n])
