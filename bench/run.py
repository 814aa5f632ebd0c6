"""The benchmark runner: runs the whole suite and prints one comparison table.

    python -m bench            # everything, stdlib loop and uvloop (about half an hour)
    python -m bench --fast     # a 1-2 minute smoke run (numbers not fit to quote)
    python -m bench --plot     # also the scaling curves as PNGs (needs the `plots` extra)
    python -m bench --loop uvloop

Every row shows airsrt beside the asyncio baseline (one Queue + one Task per actor) measured in
the same run, their ratio, the figure AirsSys RT (Rust) publishes for the same row, and -- where
installed (the `peers` extra) -- pykka, thespian and xoscar on the same workload. pyperf JSON,
``report.json`` (every number) and ``report.md`` (the table) land in ``bench/results/``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyperf

from . import plots

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
PEERS = ("pykka", "thespian", "xoscar")
# The pyperf scripts, one per area, each measuring airsrt and the baseline in the same run.
SCRIPTS = ("messaging", "lifecycle", "mailboxes", "broker", "supervision", "options", "savina")
SAVINA = {
    "pingpong": "PingPong",
    "counting": "Counting",
    "threadring": "ThreadRing",
    "fj_create": "Fork-Join (creation)",
    "fj_throughput": "Fork-Join (throughput)",
    "big": "Big",
    "chameneos": "Chameneos",
}


@dataclass(frozen=True)
class Row:
    """One line of the table.

    Attributes:
        label: What the row measures, with its size.
        ours: Key of airsrt's value (see `collect`); every value is a cost: lower is better.
        base: Key of the asyncio baseline's value, if the baseline can do this at all.
        published: AirsSys RT's published figure for the same row, as printed.
        unit: How the value prints: "ns" per operation, "rate" (ns per message shown as
            messages per second), "B", "s", "MB", or "savina" (seconds with messages/s).
        peer: The peers' benchmark name ("spawn", "tell", "ask"), if they run this row.
        compare: Whether a ratio means anything (not for differences of two tiny numbers).
    """

    label: str
    ours: str
    base: str | None = None
    published: str = "—"
    unit: str = "ns"
    peer: str | None = None
    compare: bool = True


def savina_rows() -> list[Row]:
    return [
        Row(f"{title}", f"savina.{key}[airsrt]", f"savina.{key}[asyncio]", unit="savina")
        for key, title in SAVINA.items()
    ]


# Published figures: AirsSys RT (Rust, macOS, Oct 2025), as its README table gives them.
SECTIONS: list[tuple[str, list[Row]]] = [
    ("Lifecycle", [
        Row("spawn, per actor (N = 10k)", "spawn[airsrt]", "spawn[asyncio]", "624.74 ns",
            peer="spawn"),
        Row("spawn, per actor (N = 1M, from the million-actor run)", "million.spawn_per_actor[airsrt]",
            "million.spawn_per_actor[asyncio]"),
        *(Row(f"batch spawn, per actor (batch of {b})", f"spawn_batch{b}[airsrt]",
              f"spawn_batch{b}[asyncio]", "681.40 ns" if b == 10 else "—") for b in (1, 10, 100, 1000)),
        Row("stop an idle actor, awaited, per actor (N = 1000)", "stop[airsrt]", "stop[asyncio]"),
        Row("idle memory per actor, tracemalloc", "memory.tracemalloc[airsrt]",
            "memory.tracemalloc[asyncio]", "~1 KB", unit="B"),
        Row("idle memory per actor, RSS growth", "memory.rss[airsrt]", "memory.rss[asyncio]",
            "~1 KB", unit="B"),
        Row("a million actors spawned, one message each, all handled", "million.total_s[airsrt]",
            "million.total_s[asyncio]", unit="s"),
        Row("a million actors: memory growth (RSS)", "million.rss_mb[airsrt]",
            "million.rss_mb[asyncio]", "~1 GB", unit="MB"),
    ]),
    ("Messaging", [
        Row("handler dispatch over a bare method call, per message", "dispatch_overhead[airsrt]",
            "dispatch_overhead[asyncio]", "31.55 ns (handler call)", compare=False),
        Row("tell -> handled, one actor (N = 100k)", "tell[airsrt]", "tell[asyncio]",
            "~1 M msg/s", unit="rate", peer="tell"),
        Row("ask round trip, idle actor, eager (mean)", "ask_eager[airsrt]", "ask[asyncio]",
            "737.16 ns", peer="ask"),
        Row("ask, eager: p50", "latency.ask_eager.p50[airsrt]", "latency.ask.p50[asyncio]"),
        Row("ask, eager: p99", "latency.ask_eager.p99[airsrt]", "latency.ask.p99[asyncio]"),
        Row("ask round trip, queued, eager asks off (mean)", "ask_queued[airsrt]", "ask[asyncio]"),
        Row("ask, queued: p50", "latency.ask_queued.p50[airsrt]", "latency.ask.p50[asyncio]"),
        Row("ask, queued: p99", "latency.ask_queued.p99[airsrt]", "latency.ask.p99[asyncio]"),
    ]),
    ("Mailbox (N = 20k queued)", [
        Row("enqueue, per message (actor busy)", "mailbox_enqueue[airsrt]",
            "mailbox_enqueue[asyncio]", "181.60 ns"),
        Row("dequeue + handle, per message", "mailbox_dequeue[airsrt]", "mailbox_dequeue[asyncio]"),
    ]),
    ("Broker", [
        Row("direct tell -> handled (N = 20k)", "direct_tell[airsrt]"),
        Row("broker publish -> handled, 1 subscriber", "publish_1sub[airsrt]", None, "211.88 ns"),
        Row("broker overhead over a direct tell", "broker_overhead[airsrt]", None, "+180 ns"),
        *(Row(f"broadcast, per subscriber (S = {s})", f"broadcast_S{s}[airsrt]",
              f"broadcast_S{s}[asyncio]", "395.11 ns" if s == 10 else "—") for s in (1, 10, 100, 1000)),
    ]),
    ("Supervision", [
        Row("supervised spawn, per child (1000 children)", "supervised_spawn[airsrt]", None,
            "1.2834 µs"),
        Row("crash -> restart -> next message handled", "crash_restart_next[airsrt]"),
    ]),
    ("Message options (N = 50k tells)", [
        Row("tell, options not used", "tell[plain]"),
        Row("tell with ttl=", "tell[ttl]"),
        Row("tell with priority= (priority mailbox)", "tell[priority]"),
        Row("tell with tracing on (system.trace)", "tell[traced]"),
    ]),
    ("Savina (wall time per run, messages per second)", savina_rows()),
]
FLOORS = [
    ("bare Python call", "floor.call"),
    ("bare handler method call", "floor.bare_method_call"),
    ("deque push + pop", "floor.deque_push_pop"),
    ("future resolved via call_soon (asyncio's round-trip floor)", "floor.future_call_soon"),
]


# -- running the pieces -----------------------------------------------------------------------------


class Progress:
    """Prints ``[k/n] what (elapsed)`` as the run goes, so a half-hour run is never silent."""

    def __init__(self, steps: int) -> None:
        self.steps, self.done, self.started = steps, 0, time.monotonic()

    def __call__(self, what: str) -> None:
        self.done += 1
        elapsed = time.monotonic() - self.started
        print(f"[{self.done:>2}/{self.steps}] {what}  ({elapsed / 60:.1f} min so far)", flush=True)


def pyperf_args(script: str, fast: bool) -> list[str]:
    if not fast:
        return []  # each script's own settings (see make_runner calls)
    if script == "savina":
        return ["--processes", "1", "--values", "1", "--warmups", "0", "--loops", "1", "--scale", "10"]
    # One value per benchmark from one worker: enough to see every row and catch rot.
    return ["--processes", "1", "--values", "1", "--warmups", "0", "--min-time", "0.02"]


def run_pyperf(script: str, loop: str, fast: bool) -> pyperf.BenchmarkSuite:
    out = RESULTS / f"{script}-{loop}.json"
    out.unlink(missing_ok=True)
    cmd = [sys.executable, str(HERE / f"{script}.py"), "--loop", loop, "-o", str(out), "--quiet"]
    subprocess.run(cmd + pyperf_args(script, fast), check=True, cwd=HERE)
    return pyperf.BenchmarkSuite.load(str(out))


def run_json(script: str, *args: str) -> Any:
    done = subprocess.run(
        [sys.executable, str(HERE / script), *args], check=True, cwd=HERE, capture_output=True,
        text=True,
    )
    return json.loads(done.stdout)


def mem_available_gb() -> float:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return 0.0


def installed_peers() -> list[str]:
    probe = "import importlib.util as u, sys; print(' '.join(p for p in sys.argv[1:] if u.find_spec(p)))"
    done = subprocess.run([sys.executable, "-c", probe, *PEERS], capture_output=True, text=True)
    return done.stdout.split()


def collect_suite(values: dict[str, float], suite: pyperf.BenchmarkSuite, meta: dict[str, Any]) -> None:
    """Median of every pyperf benchmark, in nanoseconds per operation (seconds for Savina)."""
    for bench in suite.get_benchmarks():
        name = bench.get_name()
        if name.startswith("savina."):
            values[name] = bench.median()
            md = bench.get_metadata()
            workload = name.split("[")[0].removeprefix("savina.")
            meta.setdefault("savina", {})[workload] = {
                "size": md.get("savina_size"), "messages": md.get("savina_messages")}
        else:
            values[name] = bench.median() * 1e9


def derive(values: dict[str, float]) -> None:
    """Rows computed from two measured ones in the same run."""
    for impl in ("airsrt", "asyncio"):
        dequeue, bare = values.get(f"mailbox_dequeue[{impl}]"), values.get("floor.bare_method_call")
        if dequeue is not None and bare is not None:
            values[f"dispatch_overhead[{impl}]"] = dequeue - bare
    publish, direct = values.get("publish_1sub[airsrt]"), values.get("direct_tell[airsrt]")
    if publish is not None and direct is not None:
        values["broker_overhead[airsrt]"] = publish - direct


def measure_loop(loop: str, args: argparse.Namespace, progress: Progress, notes: list[str],
                 meta: dict[str, Any]) -> tuple[dict[str, float], dict[str, Any] | None]:
    values: dict[str, float] = {}
    for script in SCRIPTS:
        collect_suite(values, run_pyperf(script, loop, args.fast), meta)
        progress(f"{script} on {loop}")

    calls = "10000" if args.fast else "100000"
    for mode, stats in run_json("latency.py", "--loop", loop, "--calls", calls).items():
        impl = "asyncio" if mode == "asyncio" else "airsrt"
        name = "ask" if mode == "asyncio" else mode.replace("airsrt_", "ask_")
        for pct, ns in stats.items():
            values[f"latency.{name}.{pct}[{impl}]"] = ns
    progress(f"ask latency percentiles on {loop} ({int(calls):,} calls each)")

    n = "50000" if args.fast else "200000"
    for impl in ("airsrt", "asyncio"):
        for method in ("tracemalloc", "rss"):
            values[f"memory.{method}[{impl}]"] = run_json(
                "memory.py", "--loop", loop, "--impl", impl, "--method", method, "--n", n)
    meta["memory_n"] = int(n)
    progress(f"idle memory on {loop} (N = {int(n):,})")

    million = 100_000 if args.fast else 1_000_000
    for impl in ("airsrt", "asyncio"):
        if impl == "asyncio" and not args.fast and mem_available_gb() < 8:
            note = "baseline million-actor row skipped: it needs about 5 GB of free memory"
            if note not in notes:
                notes.append(note)
            continue
        got = run_json("million.py", "--loop", loop, "--impl", impl, "--n", str(million))
        values[f"million.total_s[{impl}]"] = got["total_s"]
        values[f"million.rss_mb[{impl}]"] = got["rss_mb"]
        values[f"million.spawn_per_actor[{impl}]"] = got["spawn_s"] / million * 1e9
    meta["million_n"] = million
    progress(f"{million:,} actors on {loop}")

    scaling = None
    if args.plot or not args.fast:
        scaling = run_json("scaling.py", "--loop", loop, *(["--fast"] if args.fast else []))
        progress(f"scaling curves on {loop}")
    derive(values)
    return values, scaling


# -- the table --------------------------------------------------------------------------------------


def fmt(value: float | None, unit: str, messages: int | None = None) -> str:
    if value is None:
        return "—"
    if unit == "rate":
        return f"{1e3 / value:.2f} M msg/s"
    if unit == "B":
        return f"{value:,.0f} B"
    if unit == "MB":
        return f"{value:,.0f} MB"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "savina":
        rate = f" · {messages / value / 1e6:.2f} M msg/s" if messages else ""
        return (f"{value * 1e3:.1f} ms" if value < 1 else f"{value:.2f} s") + rate
    if abs(value) >= 10_000:
        return f"{value / 1000:.1f} µs"
    return f"{value:.0f} ns" if abs(value) >= 100 else f"{value:.1f} ns"


def ratio(ours: float | None, base: float | None) -> str:
    # Every value is a cost, so baseline ÷ airsrt reads "how many times better airsrt is".
    if ours is None or base is None or ours <= 0 or base <= 0:
        return "—"
    return f"{base / ours:.1f}×"


def table(results: dict[str, dict[str, float]], peers: dict[str, float], peer_names: list[str],
          meta: dict[str, Any]) -> str:
    loops = list(results)
    header = ["row", "AirsSys RT (Rust, published)"]
    for kind in loops:
        header += [f"airsrt ({kind})", f"asyncio baseline ({kind})", f"ratio ({kind})"]
    header += peer_names
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    savina = meta.get("savina", {})
    for title, rows in SECTIONS:
        lines.append(f"| **{title}** |" + " |" * (len(header) - 1))
        for row in rows:
            label = row.label
            messages = None
            if row.unit == "savina":
                workload = row.ours.split("[")[0].removeprefix("savina.")
                info = savina.get(workload, {})
                label = f"{label} ({info.get('size', '?')})"
                messages = info.get("messages")
            cells = [label, row.published]
            for kind in loops:
                ours = results[kind].get(row.ours)
                base = results[kind].get(row.base) if row.base else None
                cells += [fmt(ours, row.unit, messages), fmt(base, row.unit, messages),
                          ratio(ours, base) if row.compare else "—"]
            for name in peer_names:
                value = peers.get(f"{row.peer}[{name}]") if row.peer else None
                cells.append(fmt(value, row.unit))
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def floors_line(results: dict[str, dict[str, float]]) -> str:
    return "Floors measured in the same run: " + "; ".join(
        f"{label}: " + ", ".join(f"{fmt(results[k].get(name), 'ns')} ({k})" for k in results)
        for label, name in FLOORS
    ) + "."


def scaling_tables(scaling: dict[str, dict[str, Any]]) -> str:
    out = []
    for kind, result in scaling.items():
        for curve, data in result["curves"].items():
            ours = dict((int(x), y) for x, y in data["points"]["airsrt"])
            base = dict((int(x), y) for x, y in data["points"]["asyncio"])
            rate = data["unit"] == "messages per second"
            show = (lambda v: f"{v / 1e6:.2f} M/s") if rate else (lambda v: fmt(v, "ns"))
            out.append(f"\n{curve} ({data['unit']}, {kind}):\n")
            out.append("| size | " + " | ".join(f"{s:,}" for s in ours) + " |")
            out.append("|---|" + "---|" * len(ours))
            out.append("| airsrt | " + " | ".join(show(v) for v in ours.values()) + " |")
            out.append("| asyncio baseline | " + " | ".join(
                show(base[s]) if s in base else "—" for s in ours) + " |")
    return "\n".join(out)


def machine() -> str:
    return (f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, "
            f"{os.cpu_count()} CPUs; {datetime.date.today().isoformat()}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="1-2 minute smoke run (not to quote)")
    parser.add_argument("--plot", action="store_true", help="also write PNG plots of the scaling curves")
    parser.add_argument(
        "--loop", choices=("asyncio", "uvloop", "both"), default="both", help="event loop(s)"
    )
    args = parser.parse_args(argv)
    loops = ["asyncio", "uvloop"] if args.loop == "both" else [args.loop]
    RESULTS.mkdir(exist_ok=True)
    os.environ.setdefault("PYTHONHASHSEED", "0")
    peer_names = installed_peers()
    notes: list[str] = []
    missing = [p for p in PEERS if p not in peer_names]
    if missing:
        notes.append(f"peers not installed, left out: {', '.join(missing)} "
                     "(pip install -e \".[peers]\" to add them)")
    if args.plot:
        if not plots.available():
            sys.exit("--plot needs matplotlib: pip install -e \".[plots]\"")
    per_loop = len(SCRIPTS) + 3 + (1 if args.plot or not args.fast else 0)
    progress = Progress(per_loop * len(loops) + (1 if peer_names else 0))
    print(f"airsrt benchmarks ({'fast smoke run' if args.fast else 'full run'}) on "
          f"{', '.join(loops)}; results in {RESULTS}", flush=True)

    meta: dict[str, Any] = {"machine": machine(), "fast": args.fast}
    results: dict[str, dict[str, float]] = {}
    scaling: dict[str, dict[str, Any]] = {}
    for kind in loops:
        results[kind], curves = measure_loop(kind, args, progress, notes, meta)
        if curves is not None:
            scaling[kind] = curves
    peers: dict[str, float] = {}
    if peer_names:
        # Peers bring their own threads or loop; one run on the stdlib loop where that matters.
        collect_suite(peers, run_pyperf("peers", "asyncio", args.fast), meta)
        progress(f"peers: {', '.join(peer_names)}")

    report = [
        f"# airsrt benchmark report ({'fast smoke run: not fit to quote' if args.fast else 'full run'})",
        "",
        meta["machine"] + ". Medians of pyperf runs; cyclic GC on; failure logging off. "
        "ratio = asyncio baseline ÷ airsrt (how many times faster or smaller airsrt is). "
        f"Idle memory at N = {meta['memory_n']:,}; the million row at N = {meta['million_n']:,}."
        " Peers: spawn N = 200, tell N = 10k, per operation.",
        "",
        table(results, peers, peer_names, meta),
        "",
        floors_line(results),
    ]
    if notes:
        report += ["", *(f"Note: {n}." for n in notes)]
    if scaling:
        report += ["", "## Scaling curves", scaling_tables(scaling)]
    if args.plot:
        written = plots.plot(scaling, RESULTS)
        report += ["", "Plots: " + ", ".join(p.name for p in written)]
    text = "\n".join(report) + "\n"
    (RESULTS / "report.md").write_text(text)
    (RESULTS / "report.json").write_text(json.dumps(
        {"meta": meta, "results": results, "peers": peers, "scaling": scaling, "notes": notes},
        indent=1))
    print()
    print(text)
    print(f"(took {(time.monotonic() - progress.started) / 60:.1f} min; JSON and Markdown in {RESULTS})")

