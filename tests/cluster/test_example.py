"""examples/cluster.py runs and prints what docs/guides/cluster.md says it prints."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("ray", reason="Ray is not installed (pip install -e '.[ray,test]')")

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cluster.py"

# What the guide shows (examples/output/cluster.txt, included by docs/guides/cluster.md).
RECORDED = EXAMPLE.parent / "output" / "cluster.txt"
# The watcher's notice and the failed ask come from the same node loss: either may print first.
UNORDERED = "watcher: "


def test_cluster_example_runs_as_the_guide_says() -> None:
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0", RAY_AUTH_MODE="disabled")
    env.pop("RAY_ADDRESS", None)
    done = subprocess.run([sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=240, env=env)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    lines = done.stdout.splitlines()
    recorded = RECORDED.read_text().splitlines()
    assert sorted(lines) == sorted(recorded), done.stdout
    ordered = [line for line in lines if not line.startswith(UNORDERED)]
    assert ordered == [line for line in recorded if not line.startswith(UNORDERED)], done.stdout
