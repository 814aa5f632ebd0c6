"""Helpers of the Ray suite (imported by its tests and by the scripts they run)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any


def ray_env() -> dict[str, str]:
    """What every Ray process of the suite runs with (ray.md section 7)."""
    return {
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
        "RAY_USAGE_STATS_ENABLED": "0",
        "RAY_AUTH_MODE": "disabled",
        "RAY_allow_out_of_band_object_ref_serialization": "0",
    }


class Driver:
    """A loop that outlives single tests, for a module's clusters."""

    def __init__(self) -> None:
        from airsrt.testing.plugin import new_test_loop

        self.loop = new_test_loop()  # asyncio, or uvloop with AIRSRT_TEST_LOOP=uvloop

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float = 60.0) -> Any:
        return self.loop.run_until_complete(asyncio.wait_for(coro, timeout))

    def close(self) -> None:
        pending = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            self.loop.run_until_complete(asyncio.wait(pending, timeout=5))
        self.loop.close()


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> Coroutine[Any, Any, None]:
    async def wait() -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while not check():
            if loop.time() > end:
                raise AssertionError(f"condition not met within {timeout}s")
            await asyncio.sleep(0.02)

    return wait()
