"""Regenerates docs/performance.md (and its plots, docs/img/perf-*.svg) from a benchmark run.

    python -m bench --full          # about 40 minutes; writes bench/results/report.json
    python -m bench.docs            # rewrites docs/performance.md from it

Every number on the page comes from that report.json; the prose around the numbers says what
each row measures and why the costs are what they are, and the comparison lists (where airsrt is
ahead of BEAM per core, where behind) are computed from the run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from . import plots, report
from . import rows as registry
from .results import Config, Results, number
from .rows import ErlangRow

HERE = Path(__file__).resolve().parent
DOCS = HERE.parent / "docs"

# Why each Erlang comparison comes out as it does: the mechanism on each side, true whichever
# way the run goes (the lists around it are computed from the run).
WHY = {
    "spawn": "An idle airsrt actor is a compiled cell of about 300 bytes with no stack and no heap "
             "of its own, created without a turn of the event loop; a BEAM process gets a heap "
             "and a stack of its own (233 words to start) and a process control block, about "
             "2.7 KB in all. On this VM much of BEAM's spawn time is the kernel's first touch of "
             "that memory: see its system CPU time.",
    "ask_eager": "An ask to an idle actor with a synchronous handler runs the handler in the "
                 "caller's own turn and hands back an already-resolved future: nothing is "
                 "scheduled. `gen_server:call` sends a message, switches to the server process and "
                 "switches back with the reply.",
    "ask_queued": "A queued ask waits for the dispatcher's next turn of the event loop; the "
                  "caller's Task steps again right behind it, in the same turn, and finds the "
                  "answer. That turn is asyncio's own floor (a `call_soon` and a pass through the "
                  "selector, in the floors line), which BEAM does not pay: it switches between "
                  "processes inside its scheduler, with no event loop between.",
    "fanout": "A publish pushes one reference into each subscriber's mailbox ring in a compiled "
              "loop and each copy is handled by a Python method; BEAM copies the message into "
              "each receiving process's heap and runs compiled receive code.",
    "messages": "Every message runs a Python handler: CPython spends tens of nanoseconds on a bare "
                "method call before any work is done, while BEAM runs JIT-compiled code for the "
                "receive and the handling. airsrt's own dispatch adds little over the bare call "
                "(its mailbox dequeue + handle row), so per message the gap is mostly the "
                "interpreter.",
    "skynet": "Every node stops itself after it answers. The compiled core stops an actor with "
              "nothing attached (its on_stop, leaving its parent, the count and the event) without "
              "a Python frame of its own, but each node still runs its on_start, its handler and "
              "its call to context.stop() in Python, and is built as a Python object; a BEAM "
              "process that returns just frees its heap.",
}
WHY_TITLES = {"spawn": "Spawn and memory", "ask_eager": "Request-reply to an idle actor",
              "ask_queued": "Request-reply behind other work", "fanout": "Fan-out",
              "messages": "Message-heavy workloads", "skynet": "Actors that stop"}
WHY_ROWS = {
    "erlang.spawn": "spawn", "erlang.spawn_1m": "spawn", "erlang.memory": "spawn",
    "erlang.million_rss": "spawn", "erlang.million": "spawn", "erlang.ask_eager": "ask_eager",
    "erlang.ask_queued": "ask_queued", "erlang.fanout": "fanout", "erlang.skynet": "skynet",
    **{f"erlang.savina.{w}": "messages" for w in ("pingpong", "counting", "threadring",
                                                   "fj_throughput", "big", "chameneos")},
    "erlang.savina.fj_create": "spawn",
}
SHORT = {
    "erlang.spawn": "spawn", "erlang.spawn_1m": "spawn at a million", "erlang.memory": "idle memory",
    "erlang.million_rss": "memory of a million actors", "erlang.million": "a million actors, "
    "one message each", "erlang.ask_eager": "request-reply (eager ask)",
    "erlang.ask_queued": "request-reply (queued ask)", "erlang.fanout": "fan-out",
    "erlang.skynet": "skynet", **{f"erlang.savina.{w}": title
                                 for w, title in registry.sizes.SAVINA_TITLES.items()},
}


def load(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text())
    data["configs"] = [Config(**c) for c in data["meta"]["configs"]]
    data["res"] = {label: Results.from_dict(r) for label, r in data["results"].items()}
    data["beam_res"] = Results.from_dict(data["beam"])
    data["peers_res"] = Results.from_dict(data["peers"])
    return data


def value(res: Results, key: str) -> float | None:
    got = res.values.get(key)
    return got.median if got is not None else None


def times(a: float | None, b: float | None, better: str = "faster", worse: str = "slower") -> str:
    """"15× faster" when cost `a` is below `b` ("1.3× slower" when above)."""
    if not a or not b:
        return "?"
    r = b / a if b >= a else a / b
    return (f"{r:.0f}×" if r >= 20 else f"{r:.1f}×") + " " + (better if b >= a else worse)


def erlang_lists(data: dict[str, Any]) -> tuple[dict[str, list[str]], list[ErlangRow]]:
    config = data["configs"][0]
    rows = [r for r in registry.ERLANG_ROWS if r.id in data.get("erlang_rows", [])]
    ours, beam = data["res"][config.label], data["beam_res"]
    out: dict[str, list[str]] = {"ahead": [], "within noise": [], "behind": []}
    for r in rows:
        meta = ours.meta.get(r.ours, {})
        mine = report._scaled(ours.get(r.ours), r, meta)
        theirs = report._scaled(beam.get(report._beam_key(r, "1", meta)), r, meta)
        got = report.compare(mine, theirs)
        if got is None:
            continue
        factor = got.value if got.value >= 1 else 1 / got.value
        text = SHORT.get(r.id, r.id)
        if got.verdict != "within noise":
            text += f" ({factor:.1f}×)"
        out[got.verdict].append(text)
    return out, rows


def comparison(data: dict[str, Any]) -> list[report.Block]:
    config = data["configs"][0]
    res = data["res"][config.label]
    blocks: list[report.Block] = [report.Heading(2, "How airsrt compares")]
    spawn_r = times(value(res, "spawn[airsrt]"), value(res, "spawn[asyncio]"))
    mem_r = times(value(res, "memory.rss[airsrt]"), value(res, "memory.rss[asyncio]"), "less", "more")
    tell_r = times(value(res, "tell[airsrt]"), value(res, "tell[asyncio]"))
    ask_r = times(value(res, "latency.ask_eager.p50[airsrt]"), value(res, "latency.ask.p50[asyncio]"))
    tell = value(res, "tell[airsrt]")
    blocks.append(report.Para(
        f"**Against actors hand-rolled on asyncio** (one Queue and one Task each, measured in the "
        f"same run on the {config.label} loop), airsrt spawns {spawn_r}, holds an idle "
        f"actor in {mem_r} memory, handles tells {tell_r} "
        f"({1e3 / tell:.1f} M msg/s to one actor) and answers an ask to an idle actor {ask_r}."
        if tell else "**Against actors hand-rolled on asyncio**: see the tables below."))
    behind = [r for r in registry.ROWS if r.id in data["rows"] and r.base
              and (got := report.compare(res.get(r.ours), res.get(r.base))) is not None
              and got.verdict == "behind"]
    if behind:
        blocks.append(report.Para(
            "It is behind the hand-rolled version on: "
            + "; ".join(f"{registry_label(r, res)} ({report.compare(res.get(r.ours), res.get(r.base)).describe()})"  # type: ignore[union-attr]
                        for r in behind) + "."))
    lists, rows = erlang_lists(data)
    if rows and data["beam_res"].values:
        erl = data["meta"].get("erlang", "Erlang/OTP")
        items = []
        if lists["ahead"]:
            items.append("**Ahead of BEAM per core** on " + ", ".join(lists["ahead"]) + ".")
        if lists["within noise"]:
            items.append("**Even** (within the noise) on " + ", ".join(lists["within noise"]) + ".")
        if lists["behind"]:
            items.append("**Behind** on " + ", ".join(lists["behind"]) + ".")
        blocks.append(report.Para(
            f"**Against {erl} per core** -- BEAM with one scheduler (`+S 1:1`), since one airsrt "
            "system runs on one event loop -- on the same workloads and the same machine:"))
        blocks.append(report.Bullets(items))
        seen, why = set(), []
        for r in rows:
            theme = WHY_ROWS.get(r.id)
            if theme and theme not in seen:
                seen.add(theme)
                why.append(f"**{WHY_TITLES[theme]}.** {WHY[theme]}")
        blocks.append(report.Para("Why:"))
        blocks.append(report.Bullets(why))
        blocks.append(report.Para(
            "With all its schedulers BEAM also uses every core, and one airsrt system uses one; the "
            "tables show both. The goal is to be at or ahead of BEAM per core on every row; the "
            "tables below make each gap visible."))
    else:
        blocks.append(report.Para("Erlang/OTP was not installed for this run: install it with "
                                   "`apt-get install erlang-base` and regenerate."))
    return blocks


def registry_label(r: registry.Row, res: Results) -> str:
    from .results import row_label

    return row_label(r, res)


def method(data: dict[str, Any]) -> list[report.Block]:
    m = data["meta"]["machine"]
    configs = data["configs"]
    loops = " and ".join(c.label for c in configs)
    loops = f"the {loops} loop" + ("s" if len(configs) > 1 else "")
    erlang = data["meta"].get("erlang")
    return [
        report.Heading(2, "How it is measured"),
        report.Para(
            f"This page is generated by `python -m bench.docs` from a `python -m bench --full` run "
            f"of airsrt commit {m.get('commit') or '?'} on {m['date'][:10]}: {m['cpu']}, "
            f"{m['cpus']} CPUs, {m['os']}, Python {configs[0].version} on {loops}"
            + (f", and {erlang}" if erlang else "")
            + ". The machine is a shared, noisy VM (load average "
            f"{m['load_start'][0]:.1f} when the run started): read the ratios, measured side by "
            "side in the same run, rather than the absolute numbers."),
        report.Para(
            "Every row runs the same workload on airsrt and on **the asyncio baseline**: one "
            "`asyncio.Queue` plus one Task per actor, the way actors are hand-rolled on asyncio. "
            "pyperf runs each benchmark in 10 fresh processes x 3 values after a warm-up, with the "
            "cyclic GC on and failure logging off; the tables quote medians. \"airsrt vs "
            "baseline\" says how many times faster or smaller airsrt is (\"ahead\" or \"behind\"); "
            "when the gap is smaller than the two measurements' spread it says \"within noise\" "
            "with the band, and a difference (such as the broker's overhead over a direct tell) is "
            "printed as a number only when it is above its band (`bench/noise.py`). Each table has "
            "one unit, in its title; each row states its N."),
        report.Para(
            "**Erlang/OTP** runs the same workloads from `bench/erlang/`, each in a fresh VM, with "
            "one scheduler (`+S 1:1`: the per-core comparison) and with its default schedulers; "
            "the CPU columns are the VM's user and system time over the same interval."),
        report.Para(
            "**AirsSys RT** is the Rust actor runtime whose design airsrt re-creates in Python; the "
            "targets table quotes the figures its own README publishes (a different language, "
            "machine and harness: for orientation only). **DESIGN §5** is airsrt's design "
            "document's list of performance targets, each measured by this suite against the "
            "baseline in the same run."),
        report.Para("Rerun it yourself: `python -m bench` (the headline rows, about 5 minutes, "
                    "with an HTML report and these plots), `python -m bench --full` (everything, "
                    "about 40 minutes). No test asserts a speed: this suite is where speed lives."),
        report.Heading(3, "Regression detection"),
        report.Para(
            "`python -m bench --check` (CI runs it; about a minute on a quiet machine) runs the "
            "check set -- the rows with a same-run ratio against the baseline, at small sizes -- "
            "and compares each ratio with `bench/reference.json`. It times with the process's "
            "CPU clock, which the other processes on a shared machine do not inflate (wall-clock "
            "ratios swung by several times under load; CPU-time ratios by tens of percent). A "
            "row fails when its ratio drops below the reference by more than its tolerance, and "
            "only if a second measurement of that row agrees. The tolerances come from repeated "
            "runs on this machine, busy and quiet: `python -m bench --update-reference --repeat "
            "5` runs the set five times, takes the medians as the reference and records how far "
            "each run dipped below them; a row's tolerance is twice the deepest dip ever "
            "recorded, and at least 25%. A row noisier than a 60% tolerance is reported but not "
            "checked. References are per interpreter and loop; with none for the running one the "
            "check compares nothing and says so." + checked_rows_text()),
    ]


def checked_rows_text() -> str:
    """Which rows the committed reference checks, and with what tolerance."""
    from . import check

    path = HERE / "reference.json"
    if not path.exists():
        return ""
    data = check.load(path)
    tol = {r: float(t) for r, t in data.get("tolerances", {}).items()}
    if not tol:
        return ""
    runs = len(data.get("observations", []))
    checked = [f"{r} ({t:.0%})" for r, t in sorted(tol.items()) if t <= check.CEILING]
    noisy = [r for r, t in sorted(tol.items()) if t > check.CEILING]
    text = (f" The committed reference was recorded from {runs} runs; it checks "
            + ", ".join(checked) + ".")
    if noisy:
        text += " Too noisy on this machine to check: " + ", ".join(noisy) + "."
    return text


def scaling(data: dict[str, Any], figures: dict[str, report.Figure]) -> list[report.Block]:
    config = data["configs"][0]
    res = data["res"][config.label]
    beam = data["beam_res"]
    blocks: list[report.Block] = [report.Heading(2, "Scaling")]

    def at(pattern: str, size: int) -> str:
        got = res.values.get(pattern.replace("*", str(size))) or beam.values.get(
            pattern.replace("*", str(size)))
        return number(got.median, "ns") if got else "?"

    def span(pattern: str, unit: str = "ns") -> str:
        """"a → b" over a curve's sizes, smallest size first."""
        got = res.matching(pattern) or beam.matching(pattern)
        if not got:
            return "?"
        ordered = [m for _, m in sorted((int(k.rsplit("@", 1)[1]), m) for k, m in got.items())]
        if unit == "rate":
            return " → ".join(f"{1e3 / m.median:.1f}" for m in (ordered[0], ordered[-1]))
        return " → ".join(number(m.median, unit) for m in (ordered[0], ordered[-1]))

    items = []
    if "spawn" in figures:
        items.append(
            f"**Spawn**, per actor, from the smallest N to the largest: airsrt "
            f"{span('spawn[airsrt]@*')} ns, the baseline {span('spawn[asyncio]@*')} ns, BEAM "
            f"{span('beam.spawn[1]@*')} ns. Spawning more at once touches more memory (and the "
            "cyclic GC, on as in production, runs more often); a million Queue+Task actors need "
            "about 4.5 GB.")
    if "memory" in figures:
        items.append(
            f"**Memory** per actor: airsrt {span('memory.rss[airsrt]@*', 'B')} bytes, the baseline "
            f"{span('memory.rss[asyncio]@*', 'B')}, BEAM {span('beam.memory.rss[1]@*', 'B')} (the "
            "million point is after one message each, so every actor has used its mailbox).")
    if "broadcast" in figures:
        items.append(
            f"**Broadcast**: one publish resolves its route once and fans out in a compiled loop, "
            f"so the fixed part is spread over the subscribers: {at('broadcast[airsrt]@*', 1)} ns "
            f"for one, {at('broadcast[airsrt]@*', 1000)} ns each for 1,000 (the baseline "
            f"{span('broadcast[asyncio]@*')} ns, BEAM's send loop {span('beam.broadcast[1]@*')} ns).")
    if "counting" in figures:
        items.append(
            f"**Throughput** to one actor, from a thousand messages to a million (in bursts of "
            f"5,000, each answered by an ask): airsrt {span('counting[airsrt]@*', 'rate')} M msg/s, "
            f"the baseline {span('counting[asyncio]@*', 'rate')}, BEAM "
            f"{span('beam.counting[1]@*', 'rate')}.")
    if "actors" in figures:
        items.append(
            f"**Active actors**: the same 200,000 messages spread over 1 to 100,000 actors: airsrt "
            f"{span('actors[airsrt]@*', 'rate')} M msg/s (each switch between actors is a "
            f"run-queue step, and more memory is touched), the baseline "
            f"{span('actors[asyncio]@*', 'rate')}.")
    blocks.append(report.Para("How costs move with size (medians of repeated runs on fresh event "
                              "loops; `bench/scaling.py`, the million-actor run and BEAM's spawn "
                              "and fan-out runs):"))
    blocks.append(report.Bullets(items))
    blocks += [figures[n] for n in ("spawn", "memory", "broadcast", "counting", "actors")
               if n in figures]
    blocks.append(report.Heading(3, "The data behind the plots"))
    blocks += curve_tables(data)
    return blocks


def curve_tables(data: dict[str, Any]) -> list[report.Block]:
    out: list[report.Block] = []
    beam = data["beam_res"]
    for name, (ours_p, base_p, beam_p) in registry.CURVES.items():
        title, xlabel, _, unit, transform = plots.CURVE_TEXT[name]
        series = []
        for c in data["configs"]:
            res = data["res"][c.label]
            series.append((f"airsrt ({c.label})", res.matching(ours_p)))
            series.append((f"asyncio baseline ({c.label})", res.matching(base_p)))
        if beam_p:
            series.append(("BEAM +S 1:1", beam.matching(beam_p)))
        sizes = sorted({int(k.rsplit("@", 1)[1]) for _, got in series for k in got})
        if not sizes or not any(got for _, got in series):
            continue
        shown_unit = {"ns": "ns", "B": "bytes", "rate": "M msg/s"}[unit]
        header = [f"{xlabel} →"] + [f"{s:,}" for s in sizes]
        body = []
        for label, got in series:
            if not got:
                continue
            by_size = {int(k.rsplit("@", 1)[1]): m for k, m in got.items()}
            line = [label]
            for s in sizes:
                m = by_size.get(s)
                if m is None:
                    line.append("—")
                elif unit == "rate":
                    line.append(f"{transform(m.median):.2f}")
                else:
                    line.append(number(m.median, "B" if unit == "B" else "ns"))
            body.append(line)
        out.append(report.Table(header, body, title=f"{title} ({shown_unit})"))
    return out


def build(data: dict[str, Any], image_dir: str) -> report.Document:
    configs: list[Config] = data["configs"]
    res, beam, peers = data["res"], data["beam_res"], data["peers_res"]
    rows = [r for r in registry.ROWS if r.id in data["rows"]]
    erlang_rows = [r for r in registry.ERLANG_ROWS if r.id in data.get("erlang_rows", [])]
    peer_names = sorted({k.split("[")[1].rstrip("]") for k in peers.values})
    first = res[configs[0].label]
    figures: dict[str, report.Figure] = {}
    for name, (svg, caption) in plots.curves(configs, res, beam).items():
        figures[name] = report.Figure(name, svg, caption)
    svg = plots.savina_bars(configs[0], first, beam)
    if svg:
        figures["savina"] = report.Figure("savina", svg, "Savina workloads: messages per second")
    svg = plots.peer_bars(configs[0], first, peers, peer_names)
    if svg:
        figures["peers"] = report.Figure("peers", svg, "Python actor libraries: cost per operation")

    doc = report.Document()
    doc.add(report.Heading(1, "Performance"))
    doc.add(report.Para(
        "What airsrt costs, measured on a running system: beside actors hand-rolled on asyncio, "
        "beside Erlang/OTP on the same machine, and beside the other Python actor libraries."))
    doc.add(*comparison(data))
    doc.add(*method(data))
    doc.add(report.Heading(2, "airsrt beside the asyncio baseline"))
    doc.add(report.Para(
        "The headline rows and the rest of the suite, on both loops. Savina's workloads are the "
        "actor field's standard micro-benchmarks (Imam and Sarkar, 2014), at their own default "
        "sizes; the tables after them give wall time per run and messages handled per second."))
    doc.add(*report.main_tables(rows, configs, res))
    floors = report.floors_text(configs, res)
    if floors:
        doc.add(report.Para(floors))
    if erlang_rows:
        doc.add(report.Heading(2, "Erlang/OTP on the same machine"))
        if beam.values:
            doc.add(report.Para(
                "The same workloads on BEAM: spawn N idle processes (and the memory they hold), "
                "request-reply with `gen_server:call`, fan-out to 1,000 subscribers, the Savina "
                "set, a million processes with one message each, and the skynet tree of 1,111,111 "
                "processes that end after answering. \"airsrt vs BEAM\" compares with BEAM on one "
                "scheduler (the per-core comparison) and, in the last columns, on all of them. "
                "BEAM's CPU columns split its time into user and system (the kernel's page "
                "faults on fresh memory land in system time); they are shown where a run lasts "
                "long enough for the kernel's 10 ms accounting."))
            if "savina" in figures:
                doc.add(figures["savina"])
            doc.add(*report.erlang_tables(erlang_rows, configs[0], first, beam))
        else:
            doc.add(report.Para("Not measured in this run: install Erlang/OTP "
                                "(`apt-get install erlang-base`) and regenerate."))
    peers_tbl = report.peers_table(configs[0], first, peers, peer_names)
    if peers_tbl:
        doc.add(report.Heading(2, "Other Python actor libraries"))
        doc.add(report.Para(
            "pykka (a thread per actor), thespian (`simpleSystemBase`) and xoscar (an asyncio "
            "actor pool) on the spawn, tell and ask workloads, with smaller N where a library is "
            "slow to spawn; every value is per operation."))
        if "peers" in figures:
            doc.add(figures["peers"])
        doc.add(peers_tbl)
    targets = report.targets_table(rows, configs, res)
    if targets:
        doc.add(report.Heading(2, "Targets"))
        doc.add(report.Para(
            "Each DESIGN §5 target against this run, with AirsSys RT's published figure where it "
            "has one."))
        doc.add(targets)
    doc.add(*scaling(data, figures))
    if data.get("notes"):
        doc.add(report.Heading(2, "Notes on this run"),
                report.Bullets([n[0].upper() + n[1:] + "." for n in data["notes"]]))
    return doc


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.docs", description=__doc__.splitlines()[0])
    parser.add_argument("report", nargs="?", default=str(HERE / "results" / "report.json"))
    parser.add_argument("--docs", default=str(DOCS), help="the docs directory")
    parser.add_argument("--allow-partial", action="store_true",
                        help="accept a run that was not --full (for trying the page out)")
    args = parser.parse_args(argv)
    data = load(Path(args.report))
    if data["meta"]["mode"] != "full" and not args.allow_partial:
        sys.exit(f"{args.report} is from a {data['meta']['mode']} run; docs/performance.md "
                 "quotes a --full run (python -m bench --full), or pass --allow-partial")
    docs = Path(args.docs)
    img = docs / "img"
    img.mkdir(parents=True, exist_ok=True)
    doc = build(data, "img")
    for old in img.glob("perf-*.svg"):
        old.unlink()
    for block in doc.blocks:
        if isinstance(block, report.Figure):
            (img / f"perf-{block.name}.svg").write_text(block.svg)
    text = report.markdown(doc, image_dir="img").replace("img/plot-", "img/perf-")
    (docs / "performance.md").write_text(text)
    print(f"Wrote {docs / 'performance.md'} and {len(list(img.glob('perf-*.svg')))} plots in {img}")


if __name__ == "__main__":
    main()
