"""The registry: every script the runner runs and every row of the report, in one place.

A row names the script that measures it and the keys of its values (a pyperf benchmark name, or a
key a JSON script prints through ``common.emit``). To add a measurement:

1. Write the script in ``bench/`` -- a pyperf script (``common.make_runner``, then
   ``runner.bench_time_func("name[airsrt]", ...)`` and ``"name[asyncio]"`` for the baseline) or a
   JSON script that ends with ``common.emit({key: value_or_samples}, n=...)``.
2. Register it in `SCRIPTS`, in the order it should run (a pyperf script needs only its name and
   a title; a JSON script also says which argument lists to run it with, per mode; a script that
   needs an optional package names it in ``needs=`` and ``install=``).
3. Add its rows to `ROWS`: ``Row("my_row", "Section", "what it measures (N = ...)", "script",
   "name[airsrt]", "name[asyncio]", sets=HEADLINE)``. ``sets`` says which runs include it
   (``python -m bench`` runs `HEADLINE` rows, ``--full`` every row, ``--check`` the `CHECK` rows).

Every value is a cost -- nanoseconds per operation, seconds per run, bytes per actor -- so lower
is better everywhere and a ratio reads the same way on every row; `Unit` says how it prints.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from . import sizes
from .sizes import SIZES


FAST, CHECK, DEFAULT, FULL = "fast", "check", "default", "full"
HEADLINE = frozenset({FAST, DEFAULT, FULL})  # python -m bench (and its --fast smoke run)
CHECKED = frozenset({FAST, CHECK, DEFAULT, FULL})  # ... and the regression check
FULL_ONLY = frozenset({FULL})

# -- the scripts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Script:
    """A script in bench/ the runner knows how to run.

    Attributes:
        name: The file, ``bench/<name>.py``.
        title: What the progress line says while it runs.
        kind: ``"pyperf"`` (its benchmarks are the keys; the runner passes ``--only`` with the
            keys the selected rows need) or ``"json"`` (each run prints one ``common.emit`` line).
        runs: For a JSON script, the argument lists of its runs (one fresh process each) in a mode.
        pyperf: For a pyperf script, options per mode that replace the runner's defaults.
        once: Run once per report, not once per interpreter and loop (Erlang, the peers).
        needs: What it needs besides airsrt and the bench extra: a module to import (``"ray"``),
            or ``"erlang"`` (erl and erlc on PATH) or ``"peers"`` (any of `PEERS`). Without it
            the script is skipped and the report says how to install it.
        install: How to install what `needs` names, for that note.
    """

    name: str
    title: str
    kind: str = "pyperf"
    runs: Callable[[str], list[list[str]]] | None = None
    pyperf: dict[str, Sequence[str]] = field(default_factory=dict)
    once: bool = False
    needs: str | None = None
    install: str = ""


def _memory_runs(mode: str) -> list[list[str]]:
    z = SIZES[mode]
    methods = ("rss",) if mode in (FAST, CHECK) else ("rss", "tracemalloc")
    runs = [["--impl", impl, "--method", m, "--n", str(z["memory_n"])]
            for m in methods for impl in ("airsrt", "asyncio")]
    runs += [["--impl", impl, "--method", "rss", "--n", str(n), "--curve"]
             for n in z["memory_curve"] for impl in ("airsrt", "asyncio")]
    return runs


def _million_runs(mode: str) -> list[list[str]]:
    z = SIZES[mode]
    impls = ("airsrt", "asyncio") if z["baseline_million"] else ("airsrt",)
    return [["--impl", impl, "--n", str(z["million_n"])] for impl in impls]


def _skynet_runs(mode: str) -> list[list[str]]:
    return [["--impl", impl, "--leaves", str(SIZES[mode]["skynet_leaves"])]
            for impl in ("airsrt", "asyncio")]


def _scaling_runs(mode: str) -> list[list[str]]:
    z = SIZES[mode]
    args = ["--repeats", str(z["curve_repeats"])]
    for curve in ("spawn", "broadcast", "counting", "actors"):
        points = z[f"{curve}_curve"]
        if points:
            args += [f"--{curve}", ",".join(map(str, points))]
    return [args] if len(args) > 2 else []


def _beam_runs(mode: str) -> list[list[str]]:
    """The Erlang workloads: one scheduler for every row and curve; the default schedulers for
    the rows only (the second column)."""
    z = SIZES[mode]
    quick = mode in (FAST, CHECK)
    reps = 1 if quick else 3

    def run(workload: str, sched: str, n_reps: int, *params: str, curve: bool = False) -> list[str]:
        args = ["--workload", workload, "--sched", sched, "--reps", str(n_reps)]
        for p in params:
            args += ["--param", p]
        return args + (["--curve"] if curve else [])

    out = []
    for sched in ("1", "default"):
        rows_only = sched == "default"
        spawn_sizes = {z["memory_n"]} | (set() if rows_only else {
            n for n in z["spawn_curve"] + z["memory_curve"] if n >= 1000})
        out += [run("spawn", sched, reps, f"n={n}") for n in sorted(spawn_sizes)]
        out.append(run("million", sched, 1, f"n={z['million_n']}"))
        out.append(run("call", sched, reps, f"n={z['call_n']}"))
        fanout = {1000} | (set() if rows_only else set(z["broadcast_curve"]))
        out += [run("fanout", sched, reps if s == 1000 else 1, f"s={s}", "samples=20")
                for s in sorted(fanout)]
        if not rows_only:
            out += [run("counting", sched, reps, f"n={m}", f"burst={5000}", curve=True)
                    for m in z["counting_curve"]]
        for workload in sizes.SAVINA:
            params = [f"{k}={v}" for k, v in sizes.savina_size(workload, z["savina_scale"]).items()]
            if workload in ("counting", "fj_throughput", "fj_create"):
                params.append("burst=5000")
            out.append(run(workload, sched, 1 if workload == "big" and not quick else reps, *params))
        out.append(run("skynet", sched, 1, f"leaves={z['skynet_leaves']}"))
    return out


# Per-mode pyperf options. Each pyperf value is one timed batch; the runner takes the median of
# all values of all worker processes. --full uses each script's own settings (10 x 3 values).
# The check times with the process's CPU clock: on a shared machine, wall time also counts the
# other processes' turns on the CPU, which made ratios swing by several times under load.
PYPERF = {
    FAST: ["--processes", "1", "--values", "3", "--warmups", "1", "--min-time", "0.01"],
    CHECK: ["--processes", "2", "--values", "3", "--warmups", "1", "--min-time", "0.02",
            "--clock", "cpu"],
    DEFAULT: ["--processes", "3", "--values", "3", "--warmups", "1", "--min-time", "0.05"],
    FULL: [],
}
# Savina: one value is one whole run of the workload, at Savina's sizes except --fast/--check.
# The check's runs are short (tens of ms), so each process warms up first and 9 values are kept:
# the first run of a fresh process was the noisiest sample.
_SAVINA_PYPERF = {
    FAST: ["--processes", "1", "--values", "2", "--warmups", "0", "--loops", "1", "--scale", "10"],
    CHECK: ["--processes", "3", "--values", "3", "--warmups", "1", "--loops", "1", "--scale", "10",
            "--clock", "cpu"],
    DEFAULT: ["--processes", "2", "--values", "1", "--warmups", "0", "--loops", "1"],
    FULL: [],
}

# Spawning is cheap but stopping what was spawned (untimed, between values) is not: lifecycle's
# values stay short, as its own make_runner(min_time=0.01) asks.
_LIFECYCLE_PYPERF = {mode: [("0.01" if a == "0.05" or a == "0.02" else a) for a in opts]
                     for mode, opts in PYPERF.items() if opts}

# In the order the runner runs them (per interpreter and loop; `once` scripts come last).
SCRIPTS: dict[str, Script] = {s.name: s for s in [
    Script("messaging", "tell, ask and the floors"),
    Script("latency", "ask latency percentiles", "json",
           lambda mode: [["--calls", str(SIZES[mode]["latency_calls"])]]),
    Script("lifecycle", "spawn and stop", pyperf=_LIFECYCLE_PYPERF),
    Script("memory", "idle memory per actor", "json", _memory_runs),
    Script("broker", "broker, broadcast and fan-out"),
    Script("supervision", "supervised spawn and restarts"),
    Script("million", "a million actors", "json", _million_runs),
    Script("savina", "the Savina workloads", pyperf=_SAVINA_PYPERF),
    Script("skynet", "skynet (a tree of actors that stop)", "json", _skynet_runs),
    Script("scaling", "scaling curves", "json", _scaling_runs),
    Script("mailboxes", "mailbox enqueue and dequeue"),
    Script("options", "message options and tracing"),
    Script("peers", "other Python actor libraries", once=True, needs="peers",
           pyperf={DEFAULT: ["--processes", "1", "--values", "3", "--warmups", "1"],
                   FULL: ["--processes", "4", "--values", "3"]}),
    Script("beam", "Erlang/OTP, same workloads", "json", _beam_runs, once=True, needs="erlang"),
]}

# -- the rows -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A DESIGN §5 target: the row's value at most `limit` (plus the value of `plus`, if named)."""

    text: str
    limit: float
    plus: str | None = None


@dataclass(frozen=True)
class Row:
    """One line of the report.

    Attributes:
        id: Its name for ``--rows`` and in bench/reference.json.
        section: The heading it appears under.
        label: What it measures and its N; ``{n}`` is filled with the N the script reports.
        script: The script that measures it (a key of `SCRIPTS`).
        ours: airsrt's key; ``"a - b"`` for a difference of two keys (printed only when it is
            above the noise: see bench/noise.py).
        base: The asyncio baseline's key (or difference), if the baseline does this at all.
        unit: ``ns`` (per operation), ``rate`` (ns per message, printed as M msg/s), ``B`` (per
            actor), ``MB``, ``s`` or ``ms`` (a whole run, measured in seconds).
        sets: The runs that include it (see `HEADLINE`, `CHECKED`, `FULL_ONLY`).
        published: AirsSys RT's published figure for the same row, as printed.
        target: The DESIGN §5 target, if there is one.
    """

    id: str
    section: str
    label: str
    script: str
    ours: str
    base: str | None = None
    unit: str = "ns"
    sets: frozenset[str] = FULL_ONLY
    published: str = "—"
    target: Target | None = None

    def keys(self) -> list[str]:
        """Every measured key the row reads."""
        out = []
        for expr in (self.ours, self.base):
            if expr:
                out += [k.strip() for k in expr.split(" - ")]
        return out


SECTIONS = ("Lifecycle", "Messaging", "Mailbox", "Broker", "Supervision", "Message options",
            "Savina", "Skynet")

ROWS: list[Row] = [
    # Lifecycle
    Row("spawn", "Lifecycle", "spawn an idle actor (N = 10,000 spawned one after another), per actor",
        "lifecycle", "spawn[airsrt]", "spawn[asyncio]", sets=CHECKED, published="624.74 ns",
        target=Target("≤ 1 µs", 1000)),
    Row("spawn_1m", "Lifecycle", "spawn an idle actor (N = {n}, the million-actor run), per actor",
        "million", "million.spawn_ns[airsrt]", "million.spawn_ns[asyncio]", sets=HEADLINE,
        target=Target("≤ 1 µs", 1000)),
    *(Row(f"spawn_batch{b}", "Lifecycle",
          f"spawn in batches of {b} (10,000 actors live at most), per actor", "lifecycle",
          f"spawn_batch{b}[airsrt]", f"spawn_batch{b}[asyncio]",
          published="681.40 ns" if b == 10 else "—") for b in (1, 10, 100, 1000)),
    Row("stop", "Lifecycle", "stop an idle actor and await it (N = 1,000, one after another), "
        "per actor", "lifecycle", "stop[airsrt]", "stop[asyncio]", sets=CHECKED,
        target=Target("≤ 1.5 µs", 1500)),
    Row("self_stop", "Lifecycle", "an actor stopping itself (N = 1,000 told to, until each has "
        "stopped: on_stop run / Task ended), per actor", "lifecycle", "self_stop[airsrt]",
        "self_stop[asyncio]", sets=HEADLINE, target=Target("≤ 1.5 µs", 1500)),
    Row("memory", "Lifecycle", "idle memory per actor, RSS growth (N = {n})", "memory",
        "memory.rss[airsrt]", "memory.rss[asyncio]", "B", CHECKED, "~1 KB",
        Target("≤ 300 B", 300)),
    Row("memory_py", "Lifecycle", "idle memory per actor, Python allocations (tracemalloc, N = {n})",
        "memory", "memory.tracemalloc[airsrt]", "memory.tracemalloc[asyncio]", "B",
        frozenset({DEFAULT, FULL}), "~1 KB", Target("≤ 300 B", 300)),
    Row("million", "Lifecycle", "{n} actors spawned, one message each, all handled (whole run)",
        "million", "million.total_s[airsrt]", "million.total_s[asyncio]", "s", HEADLINE,
        target=Target("≤ 2 s", 2.0)),
    Row("million_rss", "Lifecycle", "{n} actors: memory growth (RSS)", "million",
        "million.rss_mb[airsrt]", "million.rss_mb[asyncio]", "MB", HEADLINE, "~1 GB",
        Target("≤ 400 MB", 400)),
    # Messaging
    Row("dispatch", "Messaging", "handler dispatch, over a bare method call (N = 5,000 queued), "
        "per message", "mailboxes", "mailbox_dequeue[airsrt] - floor.bare_method_call",
        "mailbox_dequeue[asyncio] - floor.bare_method_call", published="31.55 ns (handler call)"),
    Row("tell", "Messaging", "tell → handled, one actor (N = 100,000 tells in bursts of 5,000)",
        "messaging", "tell[airsrt]", "tell[asyncio]", "rate", CHECKED, "~1 M msg/s",
        Target("≥ 8 M msg/s", 125)),
    Row("ask_eager", "Messaging", "ask round trip to an idle actor, eager: mean per ask (timed "
        "in pyperf batches of thousands)",
        "messaging", "ask_eager[airsrt]", "ask[asyncio]", sets=CHECKED, published="737.16 ns"),
    Row("ask_eager_p50", "Messaging", "ask to an idle actor, eager: p50 (N = {n} timed calls)",
        "latency", "latency.ask_eager.p50[airsrt]", "latency.ask.p50[asyncio]", sets=HEADLINE,
        target=Target("≤ 0.5 µs", 500)),
    Row("ask_eager_p99", "Messaging", "ask to an idle actor, eager: p99 (N = {n} timed calls)",
        "latency", "latency.ask_eager.p99[airsrt]", "latency.ask.p99[asyncio]",
        sets=frozenset({DEFAULT, FULL})),
    Row("ask_queued", "Messaging", "ask round trip, queued (eager asks off): mean per ask (timed "
        "in pyperf batches of thousands)",
        "messaging", "ask_queued[airsrt]", "ask[asyncio]", sets=CHECKED),
    Row("ask_queued_p50", "Messaging", "ask, queued: p50 (N = {n} timed calls)", "latency",
        "latency.ask_queued.p50[airsrt]", "latency.ask.p50[asyncio]", sets=HEADLINE,
        target=Target("≤ asyncio floor + 0.3 µs", 300, plus="floor.future_call_soon")),
    Row("ask_queued_p99", "Messaging", "ask, queued: p99 (N = {n} timed calls)", "latency",
        "latency.ask_queued.p99[airsrt]", "latency.ask.p99[asyncio]",
        sets=frozenset({DEFAULT, FULL})),
    # Mailbox
    Row("enqueue", "Mailbox", "enqueue into a busy actor (N = 5,000 queued), per message",
        "mailboxes", "mailbox_enqueue[airsrt]", "mailbox_enqueue[asyncio]", published="181.60 ns"),
    Row("dequeue", "Mailbox", "dequeue + handle the backlog (N = 5,000), per message",
        "mailboxes", "mailbox_dequeue[airsrt]", "mailbox_dequeue[asyncio]"),
    # Broker
    Row("direct_tell", "Broker", "direct tell → handled (N = 20,000 in bursts of 5,000), per message",
        "broker", "direct_tell[airsrt]"),
    Row("publish", "Broker", "broker publish → handled, 1 subscriber (N = 20,000), per message",
        "broker", "publish_1sub[airsrt]", published="211.88 ns"),
    Row("broker_overhead", "Broker", "broker publish over a direct tell (N = 20,000), per message",
        "broker", "publish_1sub[airsrt] - direct_tell[airsrt]", sets=HEADLINE,
        published="+180 ns", target=Target("≤ +100 ns", 100)),
    *(Row(f"broadcast_S{s}", "Broker", f"broadcast to S = {s:,} subscribers: the publish call "
          f"({max(1, 100 // s) * s:,} copies per sample), per subscriber", "broker", f"broadcast_S{s}[airsrt]", f"broadcast_S{s}[asyncio]",
          sets=CHECKED if s in (10, 1000) else FULL_ONLY,
          published="395.11 ns" if s == 10 else "—",
          target=Target("≤ 100 ns", 100) if s == 1000 else None) for s in (1, 10, 100, 1000)),
    Row("delivery_S1000", "Broker", "fan-out to S = 1,000 subscribers: publish until every copy "
        "is handled, per delivery", "broker", "delivery_S1000[airsrt]", "delivery_S1000[asyncio]",
        sets=CHECKED),
    # Supervision
    Row("supervised_spawn", "Supervision", "supervised spawn (a OneForOne supervisor starting "
        "1,000 children), per child", "supervision", "supervised_spawn[airsrt]", sets=HEADLINE,
        published="1.2834 µs", target=Target("≤ 1 µs", 1000)),
    Row("crash_restart", "Supervision", "crash → restart → next message handled (one supervised "
        "child, crashing again and again), per crash",
        "supervision", "crash_restart_next[airsrt]", sets=HEADLINE, target=Target("≤ 5 µs", 5000)),
    *(Row(f"dynamic_start_N{n}", "Supervision", f"a DynamicSupervisor's start_child, awaited one "
          f"after another up to N = {n:,} children, per child", "supervision",
          f"dynamic_start_N{n}[airsrt]") for n in (1000, 10000, 100000)),
    *(Row(f"dynamic_stop_N{n}", "Supervision", f"stopping a DynamicSupervisor with N = {n:,} idle "
          "children (all at once, each with its on_stop), per child", "supervision",
          f"dynamic_stop_N{n}[airsrt]") for n in (1000, 10000, 100000)),
    Row("pool_1in37", "Supervision", "tells through a pool of 4 workers, one message in 37 "
        "raising (the worker restarts, the pool keeps serving), per message", "supervision",
        "pool_1in37[airsrt]"),
    Row("pool_no_failures", "Supervision", "the same pool, no message raising, per message",
        "supervision", "pool_no_failures[airsrt]"),
    # Message options
    Row("tell_plain", "Message options", "tell, no options given (N = 50,000 in bursts of 5,000)",
        "options", "tell[plain]"),
    Row("tell_ttl", "Message options", "tell with ttl= (N = 50,000)", "options", "tell[ttl]"),
    Row("tell_priority", "Message options", "tell with priority= (priority mailbox, N = 50,000)",
        "options", "tell[priority]"),
    Row("tell_traced", "Message options", "tell with tracing on (system.trace, N = 50,000)",
        "options", "tell[traced]"),
    # Savina
    *(Row(f"savina.{w}", "Savina", f"{title} ({{size}})", "savina", f"savina.{w}[airsrt]",
          f"savina.{w}[asyncio]", "ms", CHECKED)
      for w, title in sizes.SAVINA_TITLES.items()),
    # Skynet
    Row("skynet", "Skynet", "skynet: {actors} actors in a tree of tens, each stopping after it "
        "answers ({n} leaves), whole run", "skynet", "skynet.wall_s[airsrt]",
        "skynet.wall_s[asyncio]", "s", HEADLINE),
]

FLOORS = [
    ("a bare Python call", "floor.call"),
    ("a bare handler method call", "floor.bare_method_call"),
    ("a deque push + pop", "floor.deque_push_pop"),
    ("a future resolved through call_soon (asyncio's round-trip floor)", "floor.future_call_soon"),
]
# The floors are measured in --full, and otherwise when a selected row's target needs one (the
# queued ask's target is the asyncio floor + 0.3 µs).
FLOOR_SETS = {key: FULL_ONLY for _, key in FLOORS}



@dataclass(frozen=True)
class ErlangRow:
    """One line of the Erlang/OTP comparison: an airsrt key beside the BEAM key of the same
    workload. ``[S]`` in `beam` stands for the schedulers ("1" or "default"), ``{n}`` for the N
    the airsrt measurement reports.

    Attributes:
        table: ``"op"`` (ns per operation), ``"memory"`` (bytes per actor) or ``"run"`` (a whole
            workload, measured in seconds, printed in ms).
        script: The airsrt script that measures `ours`.
        workload: The workload in bench/erlang/airsrt_bench.erl that gives `beam`.
        scale: Multiplies both values into the table's unit (e.g. MB for the whole run -> bytes
            per actor).
        cpu: Whether the BEAM run reports user and system CPU time for this key.
    """

    id: str
    table: str
    label: str
    script: str
    ours: str
    workload: str
    beam: str
    scale: str = ""
    cpu: bool = True
    sets: frozenset[str] = HEADLINE


ERLANG_ROWS: list[ErlangRow] = [
    ErlangRow("erlang.spawn", "op", "spawn N = {n} idle actors / processes in a fresh process, "
              "per actor", "memory", "spawn_fresh[airsrt]", "spawn", "beam.spawn_fresh[S]@{n}"),
    ErlangRow("erlang.spawn_1m", "op", "spawn N = {n} actors / processes (the million run), "
              "per actor", "million", "million.spawn_ns[airsrt]", "million",
              "beam.million.spawn[S]", cpu=False),
    ErlangRow("erlang.ask_eager", "op", "request-reply p50 (N = {n} timed calls): airsrt's eager "
              "ask vs gen_server:call", "latency", "latency.ask_eager.p50[airsrt]", "call",
              "beam.call.p50[S]", cpu=False),
    ErlangRow("erlang.ask_queued", "op", "request-reply p50 (N = {n} timed calls): airsrt's "
              "queued ask vs gen_server:call", "latency", "latency.ask_queued.p50[airsrt]", "call",
              "beam.call.p50[S]", cpu=False),
    ErlangRow("erlang.fanout", "op", "fan-out to 1,000 subscribers until every copy is handled, "
              "per delivery", "broker", "delivery_S1000[airsrt]", "fanout",
              "beam.delivery[S]@1000", cpu=False),
    ErlangRow("erlang.memory", "memory", "idle actor / process, RSS growth (N = {n})", "memory",
              "memory.rss[airsrt]", "spawn", "beam.memory.rss[S]@{n}", cpu=False),
    ErlangRow("erlang.million_rss", "memory", "N = {n} actors / processes after one message "
              "each, RSS growth per actor", "million", "million.rss_mb[airsrt]", "million",
              "beam.million.rss_mb[S]", scale="mb_per_n", cpu=False),
    *(ErlangRow(f"erlang.savina.{w}", "run", f"{title} ({{size}})", "savina", f"savina.{w}[airsrt]",
                w, f"beam.savina.{w}[S]") for w, title in sizes.SAVINA_TITLES.items()),
    ErlangRow("erlang.million", "run", "N = {n} actors / processes spawned, one message each, "
              "all handled", "million", "million.total_s[airsrt]", "million",
              "beam.million.total[S]"),
    ErlangRow("erlang.skynet", "run", "skynet: {actors} actors / processes in a tree of tens, "
              "each ending after it answers ({n} leaves)", "skynet", "skynet.wall_s[airsrt]",
              "skynet", "beam.skynet[S]"),
]

# The curves of the plots: curve -> (airsrt key pattern, baseline pattern, BEAM pattern).
CURVES = {
    "spawn": ("spawn[airsrt]@*", "spawn[asyncio]@*", "beam.spawn[1]@*"),
    "memory": ("memory.rss[airsrt]@*", "memory.rss[asyncio]@*", "beam.memory.rss[1]@*"),
    "broadcast": ("broadcast[airsrt]@*", "broadcast[asyncio]@*", "beam.broadcast[1]@*"),
    "counting": ("counting[airsrt]@*", "counting[asyncio]@*", "beam.counting[1]@*"),
    "actors": ("actors[airsrt]@*", "actors[asyncio]@*", None),
}

PEER_ROWS = [  # (peers' benchmark, airsrt's row, what it measures)
    ("spawn", "spawn", "spawn, per actor (peers: N = 200; airsrt: N = 10,000)"),
    ("tell", "tell", "tell → handled, per message (peers: N = 10,000)"),
    ("ask", "ask_eager", "ask round trip to an idle actor (mean)"),
]
PEERS = ("pykka", "thespian", "xoscar")


def row(row_id: str) -> Row:
    for r in ROWS:
        if r.id == row_id:
            return r
    raise KeyError(row_id)
