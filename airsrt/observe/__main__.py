"""``python -m airsrt.observe --demo``: a small demo system with its live view.

Prints the page's address and runs until Ctrl+C. To watch your own system instead, call
``await airsrt.observe.serve(system)`` in it.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import airsrt
from airsrt.observe import _demo, serve


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m airsrt.observe",
        description="Open a live view of a small demo actor system in your browser. To watch "
        "your own system, call `await airsrt.observe.serve(system)` in it.",
    )
    parser.add_argument("--demo", action="store_true", help="start the demo system and serve its view")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    parser.add_argument("--port", type=int, default=0, help="port (default: any free port)")
    parser.add_argument("--token", default=None, help="require this token (needed for a non-loopback --host)")
    parser.add_argument(
        "--allow-control", action="store_true", help="let the page stop and restart actors"
    )
    parser.add_argument("--sensors", type=int, default=120, help="how many Sensor actors (default 120)")
    parser.add_argument(
        "--crash-every", type=float, default=3.0, help="seconds between the flaky worker's crashes"
    )
    parser.add_argument(
        "--duration", type=float, default=None, help="stop after this many seconds (default: run until Ctrl+C)"
    )
    return parser.parse_args(argv)


async def run_demo(args: argparse.Namespace) -> None:
    async with airsrt.ActorSystem("demo", log_failures=False) as system:
        await _demo.start(system, sensors=args.sensors, crash_every=args.crash_every)
        async with await serve(
            system, host=args.host, port=args.port, token=args.token, allow_control=args.allow_control
        ) as observer:
            print(f"airsrt observer: {observer.login_url}", flush=True)
            print(
                f"  demo system {system.name!r}: {len(system.actors())} actors; "
                f"{'actions allowed' if args.allow_control else 'read-only'}; Ctrl+C to stop",
                flush=True,
            )
            if args.duration is None:
                await asyncio.Event().wait()
            else:
                await asyncio.sleep(args.duration)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.demo:
        print(
            "python -m airsrt.observe serves the view of its demo system: add --demo.\n"
            "To watch your own system: observer = await airsrt.observe.serve(system); "
            "print(observer.url)",
            file=sys.stderr,
        )
        return 2
    try:
        airsrt.run(run_demo(args))
    except airsrt.ConfigurationError as error:
        print(f"airsrt observer: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
