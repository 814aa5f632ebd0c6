"""Machine loss across two raylets (see machine_loss.py, run in a process of its own)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("ray", reason="Ray is not installed (pip install -e '.[ray,test]')")


def test_losing_a_machine_fails_asks_and_tells_watchers() -> None:
    here = Path(__file__).resolve().parent
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(here), os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run(
        [sys.executable, str(here / "machine_loss.py")],
        capture_output=True, text=True, timeout=240, env=env, cwd=here,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "pending ask: NodeLostError" in done.stdout
    assert "watcher in n0: Terminated node_lost" in done.stdout
    assert done.stdout.rstrip().endswith("ok")
