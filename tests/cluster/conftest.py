"""Fixtures of the Ray suite: one local Ray for the session, clusters per module.

Ray is started once, on loopback, without dashboard or usage reporting, its session files in a
temporary directory. Each module starts the clusters it needs on a loop of its own (the driver
node's ActorSystem lives on that loop), and tests run coroutines on it with `run`, every wait
bounded.
"""

from __future__ import annotations

import asyncio
import os
import pathlib
import shutil
import tempfile
from collections.abc import Iterator

import pytest

from raykit import Driver, ray_env

try:
    import ray
except ImportError:  # the suite without the extra
    ray = None

HERE = pathlib.Path(__file__).resolve().parent

collect_ignore = ["machine_loss.py", "join_driver.py", "raykit.py"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in pathlib.Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.ray)
            if ray is None:
                item.add_marker(pytest.mark.skip(reason="Ray is not installed (pip install -e '.[ray,test]')"))


@pytest.fixture(scope="session")
def ray_session() -> Iterator[None]:
    for key, value in ray_env().items():
        os.environ.setdefault(key, value)
    temp = tempfile.mkdtemp(prefix="airsrt-ray-")
    ray.init(
        num_cpus=4,
        include_dashboard=False,
        log_to_driver=False,
        namespace="airsrt-test",
        _temp_dir=temp,
        _node_ip_address="127.0.0.1",
        # The node actors import the suite's actor classes from this directory.
        runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}},
    )
    try:
        yield
    finally:
        ray.shutdown()
        shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture(scope="module")
def driver(ray_session: None) -> Iterator[Driver]:
    d = Driver()
    asyncio.set_event_loop(d.loop)
    try:
        yield d
    finally:
        asyncio.set_event_loop(None)
        d.close()
