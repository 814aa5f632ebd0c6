"""pyperf script: what message options and tracing cost, used and unused.

``tell[plain]`` is the ordinary tell (the options exist in its signature but are not given);
the other rows use one option each. Tracing rows run the same workload with
``system.trace`` on (events for every message, latency percentiles).
"""

from __future__ import annotations


import common

import airsrt

TELLS = 50_000  # per value, in bursts of common.BURST, each followed by an ask


def tell_with(loops: int, kind: str, option: str) -> float:
    async def main() -> float:
        async with common.system() as system:
            mailbox = airsrt.Mailbox.priority() if option == "priority" else None
            ref = system.spawn(common.Counter, mailbox=mailbox)
            system.trace = option == "traced"
            tell, inc, get = ref.tell, common.Inc(), common.Get()
            high = airsrt.Priority.HIGH
            burst = range(common.BURST)
            t0 = common.now()
            for _ in range(loops):
                for _ in range(TELLS // common.BURST):
                    if option == "ttl":
                        for _ in burst:
                            tell(inc, ttl=60.0)
                    elif option == "priority":
                        for _ in burst:
                            tell(inc, priority=high)
                    else:
                        for _ in burst:
                            tell(inc)
                    await ref.ask(get)
            return common.now() - t0

    return common.run(kind, main)


def main() -> None:
    runner, args = common.make_runner()
    for option in ("plain", "ttl", "priority", "traced"):
        runner.bench_time_func(f"tell[{option}]", tell_with, args.loop, option, inner_loops=TELLS)


if __name__ == "__main__":
    main()
