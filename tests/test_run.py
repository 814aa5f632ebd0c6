"""airsrt.run(): results, signal handling (in subprocesses), a teardown that cannot hang."""

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import airsrt

SCRIPT = """
import asyncio, sys
import airsrt
from airsrt import Actor, handler

class Slow(airsrt.Message[str]):
    pass

class Idle(Actor):
    def on_stop(self):
        print("on_stop ran", flush=True)

    @handler
    def slow(self, msg: Slow) -> str:
        return "idle"

class Worker(Actor):
    def on_stop(self):
        print("busy worker's on_stop ran (it should have been killed)", flush=True)

    @handler
    async def slow(self, msg: Slow) -> str:
        await asyncio.sleep(3600)
        return "never"

class Stubborn(Actor):
    async def on_stop(self):
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                pass

async def main():
    async with airsrt.ActorSystem(stop_timeout=30, kill_timeout=30) as system:
        system.spawn(Idle)
        worker = system.spawn(Worker)
        if MODE == "stubborn":
            system.spawn(Stubborn)
        pending = worker.ask(Slow(), timeout=None)
        print("ready", flush=True)
        try:
            await pending
        except airsrt.ActorStoppedError as error:
            print("pending ask failed:", type(error).__name__, flush=True)
        await asyncio.sleep(3600)

airsrt.run(main(), shutdown_timeout=SHUTDOWN)
"""


def start(mode: str, shutdown: float = 2.0) -> subprocess.Popen:
    code = f"MODE = {mode!r}\nSHUTDOWN = {shutdown}\n" + SCRIPT
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    return proc


def test_run_returns_the_result():
    async def main() -> int:
        async with airsrt.ActorSystem():
            return 42

    assert airsrt.run(main()) == 42


def test_run_needs_a_coroutine():
    with pytest.raises(TypeError, match="coroutine"):
        airsrt.run(lambda: None)  # type: ignore[arg-type]


def test_run_with_uvloop():
    uvloop = pytest.importorskip("uvloop")

    async def main() -> str:
        return type(asyncio.get_running_loop()).__module__

    assert airsrt.run(main(), loop_factory=uvloop.new_event_loop).startswith("uvloop")


def test_sigint_shuts_down_gracefully():
    proc = start("plain")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=10)
    assert "pending ask failed: ActorStoppedError" in out
    assert "on_stop ran" in out  # the idle actor stopped gracefully
    assert "busy worker" not in out  # the busy one was killed at the deadline: no on_stop
    assert proc.returncode in (-signal.SIGINT, 130), err  # KeyboardInterrupt, as Python does


def test_sigterm_exits_with_143():
    proc = start("plain")
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=10)
    assert "on_stop ran" in out
    assert proc.returncode == 143, err


def test_second_signal_exits_at_once():
    proc = start("stubborn", shutdown=60)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.3)  # the graceful shutdown is now stuck in Stubborn.on_stop (for 60 s)
    proc.send_signal(signal.SIGINT)
    # Only a hang guard: ending at all well before the 60 s shutdown is the property.
    proc.communicate(timeout=30)
    assert proc.returncode == 130


def test_teardown_does_not_hang_on_a_task_that_swallows_cancellation():
    code = textwrap.dedent(
        """
        import asyncio, airsrt

        async def stubborn():
            while True:
                try:
                    await asyncio.sleep(3600)
                except asyncio.CancelledError:
                    pass

        async def main():
            asyncio.get_running_loop().create_task(stubborn())
            await asyncio.sleep(0)
            return "done"

        print(airsrt.run(main(), shutdown_timeout=0.2))
        """
    )
    # The task sleeps for an hour and swallows cancellation: returning at all is the property
    # (the subprocess timeout is only a hang guard).
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=45)
    assert done.stdout.strip() == "done", done.stderr
    assert "ignored cancellation at exit" in done.stderr


def test_import_without_the_compiled_core_says_how_to_build():
    code = "import sys; sys.modules['airsrt._core'] = None\nimport airsrt"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode != 0
    assert "pip install" in done.stderr and "compiled core" in done.stderr


@pytest.mark.skipif(os.name != "posix", reason="signals")
def test_run_restores_signal_handlers():
    async def main() -> None:
        pass

    before = signal.getsignal(signal.SIGINT)
    airsrt.run(main())
    assert signal.getsignal(signal.SIGINT) == before
