"""A second driver joins a running cluster (Cluster.join), in a process of its own."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from actors import Add, Counter, Get, Relay

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install -e '.[ray,test]')")

from airsrt.ray import Cluster  # noqa: E402


def test_second_driver_joins_by_namespace(driver: Any) -> None:
    here = Path(__file__).resolve().parent

    async def body() -> None:
        async with await Cluster.start(nodes=2, node_options={"num_cpus": 0.5}, namespace="shared") as cluster:
            shared = await cluster.spawn(Counter, node="n0", name="shared")
            await cluster.spawn(Relay, node="n1", name="relay")
            env = dict(
                os.environ,
                RAY_ADDRESS=ray.get_runtime_context().gcs_address,
                PYTHONPATH=os.pathsep.join([str(here), os.environ.get("PYTHONPATH", "")]),
            )
            proc = await asyncio.create_subprocess_exec(
                sys.executable, str(here / "join_driver.py"), "shared",
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=str(here),
            )
            out, err = await proc.communicate()
            text = out.decode()
            assert proc.returncode == 0, text + err.decode()[-3000:]
            assert "shared answers 10" in text
            assert "reached from a node" in text
            assert text.rstrip().endswith("left")
            # The second driver left; the nodes it joined still run.
            assert await shared.ask(Get(), timeout=10) == 10

    driver.run(body(), timeout=180)
