"""Erlang/OTP on the same machine: compiles ``bench/erlang/*.erl`` and runs one workload.

Each run starts a fresh BEAM, ``erl -noshell +P 4000000`` with ``+S 1:1`` (one scheduler: the
per-core comparison, since one airsrt system runs on one event loop) or with the VM's default
schedulers (one per core), runs the workload ``reps`` times and prints the runner's JSON: wall
time per operation or per run, and the VM's user and system CPU time beside it (from
/proc/self/stat, so the page faults of first-touched memory show up as system time).

The compiled modules go to ``bench/results/ebin`` (never into the source tree) and are rebuilt
when a source is newer. Usage:
``python bench/beam.py --sched 1 --workload spawn --param n=100000 --reps 3``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "erlang"
EBIN = HERE / "results" / "ebin"
INSTALL_HINT = "apt-get install erlang-base (Debian/Ubuntu), or see https://www.erlang.org/downloads"
MIN_CPU_WALL_NS = 200_000_000  # 20 ticks of the kernel's 10 ms CPU accounting
SAVINA = ("pingpong", "counting", "threadring", "fj_create", "fj_throughput", "big", "chameneos")


def available() -> bool:
    return shutil.which("erl") is not None and shutil.which("erlc") is not None


def otp_release() -> str:
    done = subprocess.run(
        ["erl", "-noshell", "-eval",
         'io:format("~s ~s ~s", [erlang:system_info(otp_release), erlang:system_info(version),'
         " erlang:system_info(emu_flavor)]), halt()."],
        capture_output=True, text=True, check=True, timeout=60)
    release, erts, flavor = done.stdout.split()
    return f"Erlang/OTP {release} (erts {erts}, {'JIT' if flavor == 'jit' else 'interpreter'})"


def compile_sources() -> None:
    """Compiles every module whose .beam is missing or older than its source."""
    EBIN.mkdir(parents=True, exist_ok=True)
    stale = [
        src for src in sorted(SOURCES.glob("*.erl"))
        if not (EBIN / (src.stem + ".beam")).exists()
        or (EBIN / (src.stem + ".beam")).stat().st_mtime < src.stat().st_mtime
    ]
    if stale:
        subprocess.run(["erlc", "-o", str(EBIN), *map(str, stale)], check=True, timeout=300)


def run_workload(workload: str, params: dict[str, int], sched: str, reps: int) -> list[dict[str, Any]]:
    """Runs `workload` in a fresh VM; one result dict per repetition."""
    flags = ["+S", "1:1"] if sched == "1" else []
    args = [f"{k}={v}" for k, v in params.items()]
    args += [f"reps={reps}", f"clk_tck={os.sysconf('SC_CLK_TCK')}",
             f"page_size={os.sysconf('SC_PAGE_SIZE')}"]
    cmd = ["erl", "-noshell", *flags, "+P", "4000000", "-pa", str(EBIN),
           "-run", "airsrt_bench", "main", workload, *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"erl {workload} failed ({done.returncode}): {done.stderr.strip()}")
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def values_of(workload: str, params: dict[str, int], sched: str, runs: list[dict[str, Any]],
              curve: bool) -> dict[str, list[float]]:
    """The runner's keys for one workload's results (every list holds one sample per rep)."""
    s = sched

    def col(field: str, scale: float = 1.0) -> list[float]:
        return [r[field] * scale for r in runs]

    def cpu(prefix: str, scale: float) -> dict[str, list[float]]:
        # The kernel counts CPU time in ticks (10 ms): shown only for runs long enough to read.
        if min(r["wall_ns"] for r in runs) < MIN_CPU_WALL_NS:
            return {}
        return {f"{prefix}.user[{s}]": col("user_ns", scale), f"{prefix}.sys[{s}]": col("sys_ns", scale)}

    if workload == "spawn":
        n = params["n"]
        first = runs[0]
        out = {
            f"beam.spawn[{s}]@{n}": col("wall_ns", 1 / n),
            f"beam.spawn.minflt[{s}]@{n}": col("minflt", 1 / n),
            # The first repetition alone, in a fresh VM (memory first touched, as airsrt's
            # fresh-process run); later ones reuse what the first one touched.
            f"beam.spawn_fresh[{s}]@{n}": [first["wall_ns"] / n],
            f"beam.memory.rss[{s}]@{n}": [first["rss_bytes"]],
            f"beam.memory.beam[{s}]@{n}": [first["beam_bytes"]],
        }
        if first["wall_ns"] >= MIN_CPU_WALL_NS:
            out[f"beam.spawn_fresh.user[{s}]@{n}"] = [first["user_ns"] / n]
            out[f"beam.spawn_fresh.sys[{s}]@{n}"] = [first["sys_ns"] / n]
        return out
    if workload == "million":
        n = params["n"]
        return {
            f"beam.million.spawn[{s}]": col("spawn_ns", 1 / n),
            f"beam.million.total[{s}]": col("wall_ns", 1e-9),
            f"beam.million.rss_mb[{s}]": col("rss_mb"),
            **cpu("beam.million", 1e-9),
            f"beam.spawn[{s}]@{n}": col("spawn_ns", 1 / n),
            f"beam.memory.rss[{s}]@{n}": col("rss_mb", 2**20 / n),
        }
    if workload == "call":
        return {f"beam.call.p50[{s}]": col("p50_ns"), f"beam.call.p99[{s}]": col("p99_ns")}
    if workload == "fanout":
        n = params["s"]
        return {f"beam.delivery[{s}]@{n}": col("delivery_ns", 1 / n),
                f"beam.broadcast[{s}]@{n}": col("publish_ns", 1 / n)}
    if workload == "counting" and curve:
        n = params["n"]
        return {f"beam.counting[{s}]@{n}": col("wall_ns", 1 / n)}
    if workload == "skynet":
        return {f"beam.skynet[{s}]": col("wall_ns", 1e-9), **cpu("beam.skynet", 1e-9),
                f"beam.skynet.minflt[{s}]": col("minflt")}
    if workload in SAVINA:
        return {f"beam.savina.{workload}[{s}]": col("wall_ns", 1e-9),
                **cpu(f"beam.savina.{workload}", 1e-9)}
    raise ValueError(f"unknown workload {workload!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", required=True)
    parser.add_argument("--sched", choices=("1", "default"), default="1")
    parser.add_argument("--param", action="append", default=[], help="key=value (an integer)")
    parser.add_argument("--reps", type=int, default=1)
    parser.add_argument("--curve", action="store_true", help="name the value by its size")
    parser.add_argument("--loop", help="ignored: the runner passes it to every script")
    args = parser.parse_args()
    if not available():
        sys.exit(f"erl and erlc are not on PATH: {INSTALL_HINT}")
    params = {k: int(v) for k, v in (p.split("=", 1) for p in args.param)}
    compile_sources()
    runs = run_workload(args.workload, params, args.sched, args.reps)
    if len(runs) != args.reps:
        raise RuntimeError(f"erl {args.workload} printed {len(runs)} results, expected {args.reps}")
    schedulers = runs[0]["schedulers"]
    print(json.dumps({
        "values": values_of(args.workload, params, args.sched, runs, args.curve),
        "meta": {**params, "schedulers": schedulers, "reps": args.reps},
    }))


if __name__ == "__main__":
    main()
