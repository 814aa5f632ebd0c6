"""examples/cluster.py runs and prints what docs/guides/cluster.md says it prints."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("ray", reason="Ray is not installed (pip install -e '.[ray,test]')")

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cluster.py"

EXPECTED = [
    "nodes: ['n0', 'n1'] driver: driver",
    "total: 5050",
    "counter lives in n1",
    "killing n1 ...",
    "pending ask failed at once: NodeLostError",
    "a later tell is a dead letter: node_lost",
    "n0 still works: 42",
    "cluster shut down",
]


def test_cluster_example_runs_as_the_guide_says() -> None:
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0", RAY_AUTH_MODE="disabled")
    env.pop("RAY_ADDRESS", None)
    done = subprocess.run([sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=240, env=env)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    lines = done.stdout.splitlines()
    position = 0
    for expected in EXPECTED:
        assert expected in lines[position:], f"missing {expected!r} after line {position}:\n{done.stdout}"
        position = lines.index(expected, position) + 1
    assert "watcher: counter@n1 terminated, reason 'node_lost'" in lines
