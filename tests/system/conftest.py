"""System tests: ingot against real parts (kube-apiserver + etcd, BIRD/FRR/GoBGP, network namespaces).

The fixtures live in tests/system/fixtures/ as plugin modules, one per part of the test bed:
  cluster  - a real kube-apiserver and etcd (tools/cluster), shared by the session
  netns    - network namespaces, bridges and veths, always removed at teardown
  routers  - BIRD 2, FRR and GoBGP started with generated configs inside namespaces

Run with Debian's interpreter (`/usr/bin/python3 -m pytest tests/system`, or `make system`):
python3-pytest and python3-scapy are Debian packages. Tests need root for namespaces.
"""
import os
import pathlib
import sys

import pytest

SYSTEM_DIR = pathlib.Path(__file__).resolve().parent
REPO = SYSTEM_DIR.parent.parent
sys.path.insert(0, str(SYSTEM_DIR))

pytest_plugins = ["fixtures.cluster", "fixtures.netns", "fixtures.routers"]


@pytest.fixture(scope="session")
def repo():
    """The repository root."""
    return REPO


@pytest.fixture(scope="session")
def ingot_bin():
    """The ingot binary under test: $INGOT_BIN, or build/ingot."""
    path = pathlib.Path(os.environ.get("INGOT_BIN", REPO / "build" / "ingot"))
    if not path.is_file():
        pytest.fail(f"ingot binary not found at {path}: run `make build` (or set INGOT_BIN)")
    return path

