"""The benchmark runner: runs the pyperf scripts and prints one comparison table.

    python -m bench            # stdlib loop and uvloop, full pyperf settings
    python -m bench --fast     # a quick smoke run
    python -m bench --loop uvloop

Every row shows airsrt beside the asyncio baseline (one Queue + one Task per actor) measured in
the same run, their ratio, and the figure AirsSys RT (Rust) publishes for the same row. pyperf
JSON and a Markdown copy of the table land in ``bench/results/``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pyperf

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


@dataclass(frozen=True)
class Row:
    """One line of the table: what it measures, and where each number comes from."""

    label: str
    airsrt: str
    baseline: str | None
    published_ns: float | None
    unit: str = "ns"  # "ns" per operation, or "Mmsg/s" for throughput rows


# Figures published by AirsSys RT (Rust, macOS, Oct 2025), kept as reference rows.
ROWS = [
    Row("spawn, per actor (N=10k)", "spawn[airsrt]", "spawn[asyncio]", 624.74),
    Row("tell -> handled, one actor (N=100k)", "tell[airsrt]", "tell[asyncio]", None, "Mmsg/s"),
    Row("ask round trip, idle actor (eager)", "ask_eager[airsrt]", "ask[asyncio]", 737.16),
    Row("ask round trip, queued (eager off)", "ask_queued[airsrt]", "ask[asyncio]", None),
    Row("supervised spawn, per child (1000 children)", "supervised_spawn[airsrt]", None, 1283.4),
    Row("crash -> restart -> next message handled", "crash_restart_next[airsrt]", None, None),
    Row("direct tell -> handled (N=20k)", "direct_tell[airsrt]", None, 181.6),
    Row("broker publish -> handled, 1 subscriber", "publish_1sub[airsrt]", None, 211.88),
    *(
        Row(f"broadcast, per subscriber (S={s})", f"broadcast_S{s}[airsrt]", f"broadcast_S{s}[asyncio]",
            395.11 if s == 10 else None)
        for s in (1, 10, 100, 1000)
    ),
    Row("tell, options unused (N=50k)", "tell[plain]", None, None),
    Row("tell with ttl=", "tell[ttl]", None, None),
    Row("tell with priority= (priority mailbox)", "tell[priority]", None, None),
    Row("tell with tracing on", "tell[traced]", None, None),
]
FLOORS = [
    ("bare Python call", "floor.call"),
    ("deque push + pop", "floor.deque_push_pop"),
    ("future resolved via call_soon (asyncio floor)", "floor.future_call_soon"),
]
SCRIPTS = ["core.py", "supervision.py", "broker.py", "options.py"]


def run_script(script: str, loop: str, fast: bool, out: Path) -> pyperf.BenchmarkSuite:
    out.unlink(missing_ok=True)
    cmd = [sys.executable, str(HERE / script), "--loop", loop, "-o", str(out), "--quiet"]
    if fast:
        # A smoke run: enough to see every row and catch rot, not to quote.
        cmd += ["--processes", "2", "--values", "2", "--warmups", "1", "--min-time", "0.02"]
    print(f"  running {script} on {loop} ...", flush=True)
    subprocess.run(cmd, check=True, cwd=HERE)
    return pyperf.BenchmarkSuite.load(str(out))


def run_memory(loop: str, fast: bool) -> dict[str, float]:
    n = 50_000 if fast else 200_000
    print(f"  measuring idle memory on {loop} (N={n}) ...", flush=True)
    out = {}
    for impl in ("airsrt", "asyncio"):
        for method in ("tracemalloc", "rss"):
            done = subprocess.run(
                [sys.executable, str(HERE / "memory.py"), "--loop", loop, "--impl", impl,
                 "--method", method, "--n", str(n)],
                check=True, cwd=HERE, capture_output=True, text=True,
            )
            out[f"{impl}.{method}"] = json.loads(done.stdout)
    return out


def median_ns(suite: pyperf.BenchmarkSuite, name: str) -> float | None:
    try:
        return suite.get_benchmark(name).median() * 1e9
    except KeyError:
        return None


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "Mmsg/s":
        return f"{1e3 / value:.2f} M/s"
    if value >= 10_000:
        return f"{value / 1000:.1f} µs"
    return f"{value:.0f} ns" if value >= 100 else f"{value:.1f} ns"


def table(suites: dict[str, pyperf.BenchmarkSuite], memory: dict[str, dict[str, float]]) -> str:
    loops = list(suites)
    lines = [
        "| row | AirsSys RT (Rust, published) | "
        + " | ".join(f"airsrt ({k}) | asyncio ({k}) | ratio ({k})" for k in loops)
        + " |",
        "|---|---|" + "---|---|---|" * len(loops),
    ]
    for row in ROWS:
        cells = [row.label, fmt(row.published_ns, "ns")]
        for kind in loops:
            ours = median_ns(suites[kind], row.airsrt)
            base = median_ns(suites[kind], row.baseline) if row.baseline else None
            ratio = f"{base / ours:.1f}× faster" if ours and base else "—"
            cells += [fmt(ours, row.unit), fmt(base, row.unit), ratio]
        lines.append("| " + " | ".join(cells) + " |")
    cells = ["idle memory per actor (tracemalloc / RSS)", "~1 KB"]
    for kind in loops:
        m = memory[kind]
        ours = f"{m['airsrt.tracemalloc']:.0f} B / {m['airsrt.rss']:.0f} B"
        base = f"{m['asyncio.tracemalloc']:.0f} B / {m['asyncio.rss']:.0f} B"
        ratio = f"{m['asyncio.tracemalloc'] / m['airsrt.tracemalloc']:.1f}× smaller"
        cells += [ours, base, ratio]
    lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("Floors measured in the same run: " + "; ".join(
        f"{label}: " + ", ".join(f"{fmt(median_ns(suites[k], name), 'ns')} ({k})" for k in loops)
        for label, name in FLOORS
    ))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="quick smoke run (less precise)")
    parser.add_argument(
        "--loop", choices=("asyncio", "uvloop", "both"), default="both", help="event loop(s)"
    )
    args = parser.parse_args(argv)
    loops = ["asyncio", "uvloop"] if args.loop == "both" else [args.loop]
    RESULTS.mkdir(exist_ok=True)
    os.environ.setdefault("PYTHONHASHSEED", "0")
    started = time.monotonic()
    print(f"airsrt benchmarks ({'fast' if args.fast else 'full'} run) — results in {RESULTS}")
    suites: dict[str, pyperf.BenchmarkSuite] = {}
    memory: dict[str, dict[str, float]] = {}
    for kind in loops:
        merged: pyperf.BenchmarkSuite | None = None
        for script in SCRIPTS:
            suite = run_script(script, kind, args.fast, RESULTS / f"{Path(script).stem}-{kind}.json")
            if merged is None:
                merged = suite
            else:
                for bench in suite.get_benchmarks():
                    merged.add_benchmark(bench)
        assert merged is not None
        suites[kind] = merged
        memory[kind] = run_memory(kind, args.fast)
    report = table(suites, memory)
    (RESULTS / "report.md").write_text(report + "\n")
    print()
    print(report)
    print(f"\n(took {time.monotonic() - started:.0f} s; medians of pyperf runs; Markdown in "
          f"{RESULTS / 'report.md'})")


if __name__ == "__main__":
    main()
