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
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import pytest

try:
    import ray
except ImportError:  # the suite without the extra
    ray = None

HERE = pathlib.Path(__file__).resolve().parent

collect_ignore = ["machine_loss.py", "join_driver.py"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in pathlib.Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.ray)
            if ray is None:
                item.add_marker(pytest.mark.skip(reason="Ray is not installed (pip install -e '.[ray,test]')"))


def ray_env() -> dict[str, str]:
    """What every Ray process of the suite runs with (ray.md section 7)."""
    return {
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
        "RAY_USAGE_STATS_ENABLED": "0",
        "RAY_AUTH_MODE": "disabled",
        "RAY_allow_out_of_band_object_ref_serialization": "0",
    }


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


class Driver:
    """A loop that outlives single tests, for a module's clusters."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float = 60.0) -> Any:
        return self.loop.run_until_complete(asyncio.wait_for(coro, timeout))

    def close(self) -> None:
        pending = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            self.loop.run_until_complete(asyncio.wait(pending, timeout=5))
        self.loop.close()


@pytest.fixture(scope="module")
def driver(ray_session: None) -> Iterator[Driver]:
    d = Driver()
    asyncio.set_event_loop(d.loop)
    try:
        yield d
    finally:
        asyncio.set_event_loop(None)
        d.close()


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> Coroutine[Any, Any, None]:
    async def wait() -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while not check():
            if loop.time() > end:
                raise AssertionError(f"condition not met within {timeout}s")
            await asyncio.sleep(0.02)

    return wait()
