"""The sizes every run uses, per mode, in one place (airsrt, the baseline and Erlang read them).

Modes: ``fast`` (the one-minute smoke run), ``check`` (the regression check), ``default`` (what
``python -m bench`` measures) and ``full`` (``--full``). Nothing here imports airsrt, so the runner
and the Erlang side can read the sizes under any interpreter.
"""

from __future__ import annotations

from typing import Any

MODES = ("fast", "check", "default", "full")

# Savina's own default sizes (shamsimam/savina), used as they are by default and --full;
# message counts are divided by `savina_scale` for the short runs.
SAVINA = {
    "pingpong": {"n": 40_000},
    "counting": {"n": 1_000_000},
    "threadring": {"actors": 100, "hops": 100_000},
    "fj_create": {"n": 40_000},
    "fj_throughput": {"actors": 60, "n": 10_000},
    "big": {"workers": 120, "n": 20_000},
    "chameneos": {"creatures": 100, "meetings": 200_000},
}
SAVINA_TITLES = {
    "pingpong": "PingPong",
    "counting": "Counting",
    "threadring": "ThreadRing",
    "fj_create": "Fork-Join (creation)",
    "fj_throughput": "Fork-Join (throughput)",
    "big": "Big",
    "chameneos": "Chameneos",
}
SAVINA_SCALED = {"n", "hops", "meetings"}  # message counts (Fork-Join creation's n is both)

# Messages each workload has handled, for messages-per-second figures (the asks that end the
# bursts of Counting and Fork-Join throughput are left out: one per 5,000 messages).
SAVINA_MESSAGES = {
    "pingpong": lambda z: 2 * z["n"],
    "counting": lambda z: z["n"] + 1,
    "threadring": lambda z: z["hops"] + 1,
    "fj_create": lambda z: 2 * z["n"],  # one compute per worker, one report each
    "fj_throughput": lambda z: z["actors"] * (z["n"] + 1),
    "big": lambda z: z["workers"] * (2 * z["n"] + 1),
    "chameneos": lambda z: 4 * z["meetings"],  # two Meets and two Partners per meeting
}

_COMMON: dict[str, Any] = {
    "savina_scale": 1,
    "memory_n": 100_000,           # idle memory per actor
    "million_n": 1_000_000,        # the million-actor row
    "skynet_leaves": 1_000_000,    # 1,111,111 actors in all
    "latency_calls": 100_000,      # timed asks per latency row
    "call_n": 100_000,             # gen_server:call round trips (Erlang's request-reply row)
    "spawn_curve": (100, 1_000, 10_000, 100_000),       # plus the million row's 1M
    "memory_curve": (10_000,),   # plus the memory row's N and the 1M run (at 1,000 the RSS
                                 # hardly moves: the allocator's free pages absorb it)
    "broadcast_curve": (1, 10, 100, 1_000, 10_000),     # subscribers
    "counting_curve": (1_000, 10_000, 100_000),         # plus Savina Counting's 1M messages
    "actors_curve": (),                                 # active actors (--full only)
    "curve_repeats": 5,            # most repeats of a quick curve point (large ones get 3)
    "baseline_million": False,     # the baseline at a million actors needs ~5 GB and ~35 s:
}                                  # --full (and --fast, at 100,000) run it

SIZES: dict[str, dict[str, Any]] = {
    "fast": {
        **_COMMON,
        "savina_scale": 10,
        "memory_n": 20_000,
        "million_n": 100_000,
        "skynet_leaves": 10_000,
        "latency_calls": 10_000,
        "call_n": 10_000,
        "spawn_curve": (100, 1_000, 10_000),
        "memory_curve": (),
        "broadcast_curve": (1, 100, 1_000),
        "counting_curve": (1_000, 10_000, 100_000),
        "baseline_million": True,
        "curve_repeats": 3,
    },
    "check": {
        **_COMMON,
        "savina_scale": 10,
        "memory_n": 20_000,
        "million_n": 100_000,
        "skynet_leaves": 10_000,
        "latency_calls": 20_000,
        "spawn_curve": (),
        "memory_curve": (),
        "broadcast_curve": (),
        "counting_curve": (),
    },
    "default": dict(_COMMON),
    "full": {
        **_COMMON,
        "spawn_curve": (1, 10, 100, 1_000, 10_000, 100_000),
        "actors_curve": (1, 10, 100, 1_000, 10_000, 100_000),
        "baseline_million": True,
        "curve_repeats": 20,
    },
}


def savina_size(workload: str, scale: int) -> dict[str, int]:
    """One Savina workload's parameters with its message counts divided by `scale`."""
    return {
        k: max(v // scale, 2) if k in SAVINA_SCALED else v for k, v in SAVINA[workload].items()
    }


def describe_savina(size: dict[str, int]) -> str:
    return ", ".join(f"{k} = {v:,}" for k, v in size.items())
