"""The benchmark runner: ``python -m bench``.

    python -m bench                   # the headline rows and the peers, about 5 minutes
    python -m bench --fast            # a one-minute smoke run (numbers not fit to quote)
    python -m bench --full            # every row, both loops, the peers (about 40 minutes)
    python -m bench --check           # regression check against bench/reference.json (CI)
    python -m bench --rows tell,ask_eager --python .venv/bin/python,.venv312/bin/python

Every row measures airsrt beside the asyncio baseline (one Queue + one Task per actor) in the
same run; with Erlang/OTP installed (``apt-get install erlang-base``) the same workloads also run
on BEAM. Each run writes ``bench/results/report.md``, ``report.html`` (plots inline) and
``report.json`` (every sample), and says where.
"""

from __future__ import annotations

import argparse
import datetime
import fnmatch
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from . import beam as beam_module
from . import check, plots, report
from . import rows as registry
from .progress import Progress, clock
from .results import Config, Results, cell, ratio_cell, row_label
from .rows import CHECK, DEFAULT, FAST, FULL, ErlangRow, Row, Script

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
REFERENCE = HERE / "reference.json"


# -- what to run ----------------------------------------------------------------------------------


def mode_of(args: argparse.Namespace) -> str:
    if args.check or args.update_reference:
        return CHECK
    if args.full:
        return FULL
    if args.fast:
        return FAST
    return DEFAULT


def select_rows(mode: str, patterns: list[str]) -> tuple[list[Row], list[ErlangRow]]:
    if patterns:
        def chosen(row_id: str) -> bool:
            return any(fnmatch.fnmatchcase(row_id, p) for p in patterns)

        rows = [r for r in registry.ROWS if chosen(r.id)]
        erlang = [r for r in registry.ERLANG_ROWS if chosen(r.id)]
        unknown = [p for p in patterns if not any(
            fnmatch.fnmatchcase(r.id, p) for r in [*registry.ROWS, *registry.ERLANG_ROWS])]
        if unknown:
            known = ", ".join(r.id for r in [*registry.ROWS, *registry.ERLANG_ROWS])
            sys.exit(f"--rows: no row matches {', '.join(unknown)}. Rows: {known}")
        return rows, erlang
    rows = [r for r in registry.ROWS if mode in r.sets]
    erlang = [r for r in registry.ERLANG_ROWS if mode in r.sets]
    return rows, erlang


def pyperf_keys(script: str, rows: list[Row], erlang: list[ErlangRow], mode: str) -> list[str]:
    keys = [k for r in rows if r.script == script for k in r.keys()]
    keys += [r.ours for r in erlang if r.script == script]
    if script == "messaging":
        # The floors: all of them in --full; otherwise those a selected row's target needs.
        needed = {r.target.plus for r in rows if r.target and r.target.plus}
        keys += [k for k, sets in registry.FLOOR_SETS.items()
                 if (mode in sets and mode == FULL) or k in needed]
    if script == "peers":
        keys = ["*"]
    return sorted(set(keys))


def beam_workload(arg_list: list[str]) -> str:
    return arg_list[arg_list.index("--workload") + 1]


class Step:
    """One script under one configuration (or once per report), with the runs it makes and the
    rows it measures."""

    def __init__(self, script: Script, config: Config | None, runs: list[list[str]],
                 only: list[str] | None = None, row_ids: list[str] | None = None) -> None:
        self.script, self.config, self.runs, self.only = script, config, runs, only
        self.row_ids = row_ids or []

    @property
    def title(self) -> str:
        where = f" on {self.config.label}" if self.config else ""
        ids = self.row_ids if len(self.row_ids) <= 6 else [*self.row_ids[:5], f"{len(self.row_ids) - 5} more"]
        rows = f" (rows: {', '.join(ids)})" if ids else ""
        return f"{self.script.title}{where}{rows}"


def plan(mode: str, rows: list[Row], erlang: list[ErlangRow], configs: list[Config],
         want_curves: bool, notes: list[str]) -> list[Step]:
    scripts = {r.script for r in rows} | {r.script for r in erlang}
    if want_curves:
        scripts |= {"scaling", "memory", "million"}
    steps: list[Step] = []
    missing = {name for name in scripts if not has_needs(registry.SCRIPTS[name], configs[0], notes)}
    for config in configs:
        for name, script in registry.SCRIPTS.items():
            if name not in scripts or name in missing or script.once:
                continue
            ids = [r.id for r in rows if r.script == name]
            if script.kind == "pyperf":
                steps.append(Step(script, config, [[]], pyperf_keys(name, rows, erlang, mode), ids))
                continue
            runs = script.runs(mode) if script.runs else []
            if not want_curves:
                runs = [r for r in runs if "--curve" not in r]
            if name == "million":
                runs = [r for r in runs if not baseline_million_skipped(r, notes)]
                if config is configs[0] and not registry.SIZES[mode]["baseline_million"]:
                    baseline_million_left_out(mode, notes)
            if runs:
                steps.append(Step(script, config, runs, row_ids=ids))
    if erlang or want_curves:
        if beam_module.available():
            runs = registry.SCRIPTS["beam"].runs(mode)  # type: ignore[misc]
            if not want_curves:
                wanted = {r.workload for r in erlang}
                runs = [r for r in runs if "--curve" not in r and beam_workload(r) in wanted]
            if runs:
                steps.append(Step(registry.SCRIPTS["beam"], None, runs,
                                  row_ids=[r.id for r in erlang]))
        else:
            notes.append("Erlang/OTP is not installed, so the Erlang columns are empty: install it "
                         "with `apt-get install erlang-base` (Debian, Ubuntu) and run again")
    whole_set = {r.id for r in rows} == {r.id for r in registry.ROWS if mode in r.sets}
    # The peers belong to the main job (and --full); --fast, --check and --rows leave them out.
    if mode in (DEFAULT, FULL) and whole_set:
        names = installed_peers(configs[0].python)
        missing = [p for p in registry.PEERS if p not in names]
        if missing:
            notes.append(f"peers not installed, left out: {', '.join(missing)} (install them "
                         "with `pip install -e \".[peers]\"`)")
        if names:
            steps.append(Step(registry.SCRIPTS["peers"], configs[0], [[]], ["*"]))
    return steps


def has_needs(script: Script, config: Config, notes: list[str]) -> bool:
    """Whether the optional package a script needs is importable (else a note says so)."""
    if script.needs in (None, "erlang", "peers"):
        return True
    probe = f"import importlib.util, sys; sys.exit(importlib.util.find_spec({script.needs!r}) is None)"
    if subprocess.run([config.python, "-c", probe]).returncode == 0:
        return True
    notes.append(f"{script.name}.py left out: it needs {script.needs} "
                 f"({script.install or 'pip install ' + script.needs})")
    return False


def children_cpu() -> float:
    """User + system CPU seconds of every finished child process so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def mem_available_gb() -> float:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return 0.0


def baseline_million_left_out(mode: str, notes: list[str]) -> None:
    if mode == DEFAULT:
        notes.append("the asyncio baseline's million-actor run is left out of the default run "
                     "(it takes about 35 s and 4.5 GB): `--full` runs it")


def baseline_million_skipped(run: list[str], notes: list[str]) -> bool:
    if "asyncio" not in run or int(run[run.index("--n") + 1]) < 500_000:
        return False
    if mem_available_gb() >= 8:
        return False
    note = ("the baseline's million-actor run was left out: it needs about 5 GB of free memory "
            f"({mem_available_gb():.1f} GB available)")
    if note not in notes:
        notes.append(note)
    return True


def installed_peers(python: str) -> list[str]:
    probe = ("import importlib.util as u, sys; "
             "print(' '.join(p for p in sys.argv[1:] if u.find_spec(p)))")
    done = subprocess.run([python, "-c", probe, *registry.PEERS], capture_output=True, text=True)
    return done.stdout.split()


# -- interpreters ----------------------------------------------------------------------------------


def configs_for(args: argparse.Namespace) -> list[Config]:
    pythons = [p for p in (args.python or sys.executable).split(",") if p]
    loops = ["asyncio", "uvloop"] if args.loop == "both" else [args.loop]
    probe = ("import sys, importlib.util as u; import airsrt, pyperf; "
             "print('%d.%d.%d' % sys.version_info[:3], bool(u.find_spec('uvloop')))")
    found = []
    for python in pythons:
        exe = os.path.abspath(shutil.which(python) or python)  # scripts run with cwd=bench/
        done = subprocess.run([exe, "-c", probe], capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"{python} cannot run the benchmarks: {done.stderr.strip().splitlines()[-1]}\n"
                     f"Install them into it: {python} -m pip install -e \".[bench]\"")
        version, has_uvloop = done.stdout.split()
        found.append((python, exe, version, has_uvloop))
    shorts = ['.'.join(version.split('.')[:2]) for _, _, version, _ in found]
    out = []
    for (python, exe, version, has_uvloop), short in zip(found, shorts):
        # Two environments of one version (a before/after comparison) are told apart by the
        # directory of their environment.
        where = f" ({Path(exe).parent.parent.name})" if shorts.count(short) > 1 else ""
        for loop in loops:
            if loop == "uvloop" and has_uvloop != "True":
                sys.exit(f"{python} has no uvloop: {python} -m pip install -e \".[bench]\"")
            label = loop if len(found) == 1 else f"{short} {loop}{where}"
            out.append(Config(exe, version, loop, label))
    return out


# -- running one step -----------------------------------------------------------------------------


def _stream(proc: subprocess.Popen[str], progress: Progress, chatter: list[str]) -> str:
    """Reads a script's output: stderr lines indented by 4 spaces are progress details, any
    other stderr line is kept to be shown after the step's results; stdout is returned."""
    def pump() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            line = line.rstrip("\n")
            if line.startswith("    "):
                progress.detail(line.strip())
            elif line.strip():
                chatter.append(line)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    assert proc.stdout is not None
    out = proc.stdout.read()
    proc.wait()
    reader.join(timeout=5)
    return out


def run_step(step: Step, mode: str, progress: Progress, results: Results,
             env: dict[str, str], scratch: Path, clock_name: str = "wall") -> list[str]:
    """Runs every run of `step` into `results`; returns the lines to show after its results
    (anything the script printed besides its values, and failures)."""
    script, config = step.script, step.config
    python = config.python if config else sys.executable
    loop = config.loop if config else "asyncio"
    chatter: list[str] = []
    for i, extra in enumerate(step.runs, 1):
        if len(step.runs) > 1:
            progress.detail(f"run {i}/{len(step.runs)}: {' '.join(a for a in extra if a != '--param')}")
        cmd = [python, str(HERE / f"{script.name}.py"), "--loop", loop]
        if script.kind == "pyperf":
            slug = f"{script.name}-{config.label.replace(' ', '-') if config else 'once'}"
            out_file = scratch / f"{slug}.json"  # pyperf's file; every sample goes to report.json
            out_file.unlink(missing_ok=True)
            options = list(script.pyperf.get(mode, registry.PYPERF[mode]))
            if clock_name == "cpu" and "--clock" not in options and script.name != "peers":
                options += ["--clock", "cpu"]
            cmd += ["-o", str(out_file), "--quiet", *options]
            if step.only and step.only != ["*"]:
                cmd += ["--only", ",".join(step.only)]
        else:
            cmd += extra
        proc = subprocess.Popen(cmd, cwd=HERE, env=env, text=True, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        stdout = _stream(proc, progress, chatter)
        if proc.returncode != 0:
            chatter.append(f"{script.name}.py {' '.join(extra)} failed (exit {proc.returncode})")
            continue
        if script.kind == "pyperf":
            collect_pyperf(out_file, results)
        else:
            lines = [ln for ln in stdout.splitlines() if ln.startswith("{")]
            if not lines:
                chatter.append(f"{script.name}.py {' '.join(extra)} printed no values")
                continue
            got = json.loads(lines[-1])
            for key, samples in got["values"].items():
                results.add(key, samples, got.get("meta"))
            chatter += [ln for ln in stdout.splitlines() if ln.strip() and not ln.startswith("{")]
    return [f"    (from {script.name}.py) {line}" for line in chatter]


def collect_pyperf(path: Path, results: Results) -> None:
    import pyperf

    suite = pyperf.BenchmarkSuite.load(str(path))
    for bench in suite.get_benchmarks():
        name = bench.get_name()
        md = bench.get_metadata()
        meta: dict[str, Any] = {}
        if "savina_size" in md:
            meta = {"size": md["savina_size"], "messages": md["savina_messages"]}
        scale = 1.0 if name.startswith("savina.") else 1e9  # Savina: seconds per run
        results.add(name, [v * scale for v in bench.get_values()], meta)


# -- printing results as they come ------------------------------------------------------------------

UNIT_SUFFIX = {"ns": " ns", "rate": " M msg/s", "B": " B", "MB": " MB", "s": " s", "ms": " ms"}


def result_line(label: str, ours: Any, base: Any, unit: str, what: str = "asyncio baseline") -> str:
    suffix = UNIT_SUFFIX[unit]
    text = f"    {label}: airsrt {cell(ours, unit)}"
    text += "" if cell(ours, unit).startswith("within") else suffix
    if base is not None:
        text += f" · {what} {cell(base, unit)}{suffix} · airsrt {ratio_cell(ours, base)}"
    return text


class Printer:
    """Prints each row once, as soon as every value it needs has been measured."""

    def __init__(self, rows: list[Row], erlang: list[ErlangRow], configs: list[Config]) -> None:
        self.rows, self.erlang, self.configs = rows, erlang, configs
        self.printed: set[tuple[str, str]] = set()

    def ready(self, results: dict[str, Results], beam: Results) -> list[str]:
        lines = []
        for config in self.configs:
            res = results[config.label]
            for r in self.rows:
                mark = (r.id, config.label)
                if mark in self.printed or not res.has(r.keys()):
                    continue
                self.printed.add(mark)
                where = f" [{config.label}]" if len(self.configs) > 1 else ""
                lines.append(result_line(row_label(r, res) + where, res.get(r.ours),
                                         res.get(r.base) if r.base else None, r.unit))
        first = results[self.configs[0].label]
        for r in self.erlang:
            meta = first.meta.get(r.ours, {})
            beam_key = report._beam_key(r, "1", meta)
            if (r.id, "") in self.printed or r.ours not in first.values or beam_key not in beam.values:
                continue
            self.printed.add((r.id, ""))
            unit = report.ERLANG_TABLES[r.table][0]
            mine = report._scaled(first.get(r.ours), r, meta)
            theirs = report._scaled(beam.get(beam_key), r, meta)
            lines.append(result_line(report.fill(r.label, meta), mine, theirs, unit,
                                     "BEAM +S 1:1"))
        return lines


# -- the report -----------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, text=True,
                                capture_output=True).stdout.strip()
    except OSError:
        commit = ""
    return {"os": f"{platform.system()} {platform.release()}", "cpu": cpu,
            "cpus": os.cpu_count(), "date": datetime.datetime.now().isoformat(timespec="minutes"),
            "commit": commit, "load_start": list(os.getloadavg())}


MODE_TEXT = {
    FAST: "fast smoke run (small sizes, one worker process per benchmark: not fit to quote)",
    CHECK: "regression check (the check set at small sizes)",
    DEFAULT: "default run (the headline rows; pyperf 3 processes x 3 values per benchmark)",
    FULL: "full run (every row; pyperf 10 processes x 3 values per benchmark)",
}


def build_document(mode: str, configs: list[Config], rows: list[Row], erlang: list[ErlangRow],
                   results: dict[str, Results], beam: Results, peers: Results,
                   peer_names: list[str], meta: dict[str, Any], notes: list[str],
                   with_plots: bool) -> report.Document:
    doc = report.Document()
    m = meta["machine"]
    doc.add(report.Heading(1, f"airsrt benchmark report: {MODE_TEXT[mode].split(' (')[0]}"))
    interpreters = ", ".join(sorted({f"Python {c.version}" for c in configs}))
    doc.add(report.Para(
        f"{m['date']} · {m['os']} · {m['cpu']} ({m['cpus']} CPUs) · {interpreters} · airsrt "
        f"{m.get('commit') or ''} · {MODE_TEXT[mode]} · "
        f"{'timed by the process CPU clock' if meta.get('clock') == 'cpu' else 'wall-clock times'}"
        f" · took {clock(meta['seconds'])} · "
        f"load average {m['load_start'][0]:.1f} at the start, {meta['load_end']:.1f} at the end."))
    if meta.get("erlang"):
        doc.add(report.Para(f"{meta['erlang']}: the same workloads on BEAM, same machine."))
    doc.add(report.Para(
        "How to read it: airsrt and the asyncio baseline -- one `asyncio.Queue` plus one Task per "
        "actor, the way actors are hand-rolled on asyncio -- run the same workload in the same "
        "run, and every value is the median of its samples. \"airsrt vs baseline\" says how many "
        "times faster (or smaller) airsrt is: \"ahead\" or \"behind\", or \"within noise\" with the "
        "noise band when the gap is smaller than the two measurements' spread (a difference is "
        "printed as a number only when it is above its band; bench/noise.py). Each row states "
        "its N and what it measures; each table has one unit, in its title."))
    tables = report.main_tables(rows, configs, results)
    if tables:
        doc.add(report.Heading(2, "airsrt beside the asyncio baseline"), *tables)
        floors = report.floors_text(configs, results)
        if floors:
            doc.add(report.Para(floors))
    if erlang:
        doc.add(report.Heading(2, "Erlang/OTP on the same machine"))
        if beam.values:
            doc.add(report.Para(
                "BEAM runs each workload in a fresh VM: `+S 1:1` (one scheduler, the per-core "
                "comparison, since an airsrt system runs on one event loop) and the VM's default "
                "schedulers (one per core). CPU columns are the VM's user and system time over the "
                "same interval (system time is mostly the first touch of fresh memory), shown for "
                "runs long enough for the kernel's 10 ms accounting."))
        else:
            doc.add(report.Para("**The BEAM columns are empty: Erlang/OTP is not installed.** "
                                "Install it with `apt-get install erlang-base` (Debian, Ubuntu) "
                                "and run again."))
        doc.add(*report.erlang_tables(erlang, configs[0], results[configs[0].label], beam))
    peers_tbl = report.peers_table(configs[0], results[configs[0].label], peers, peer_names)
    if peers_tbl:
        doc.add(report.Heading(2, "Other Python actor libraries"), peers_tbl)
    targets = report.targets_table(rows, configs, results)
    if targets:
        doc.add(report.Heading(2, "Targets"), report.Para(
            "DESIGN §5 sets airsrt's targets; \"AirsSys RT\" is the Rust runtime airsrt re-creates, "
            "with the figures its own README publishes (different language, machine and "
            "harness: for orientation only)."), targets)
    if with_plots:
        try:
            figures = plot_figures(configs, results, beam, peers, peer_names)
        except Exception as exc:  # the numbers matter more than the pictures: keep the report
            figures = []
            notes.append(f"the plots could not be drawn ({type(exc).__name__}: {exc})")
        if figures:
            doc.add(report.Heading(2, "Plots"), *figures)
    if notes:
        doc.add(report.Heading(2, "Notes"), report.Bullets([n[0].upper() + n[1:] + "." for n in notes]))
    return doc


def plot_figures(configs: list[Config], results: dict[str, Results], beam: Results,
                 peers: Results, peer_names: list[str]) -> list[report.Figure]:
    out = []
    for name, (svg, caption) in plots.curves(configs, results, beam).items():
        out.append(report.Figure(name, svg, caption))
    first = results[configs[0].label]
    svg = plots.savina_bars(configs[0], first, beam)
    if svg:
        out.append(report.Figure("savina", svg, "Savina workloads: messages handled per second"))
    svg = plots.peer_bars(configs[0], first, peers, peer_names)
    if svg:
        out.append(report.Figure("peers", svg, "Python actor libraries: cost per operation"))
    return out


def write_report(doc: report.Document, data: dict[str, Any], out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("plot-*.svg"):
        old.unlink()
    for block in doc.blocks:
        if isinstance(block, report.Figure):
            (out_dir / f"plot-{block.name}.svg").write_text(block.svg)
    md, page, raw = out_dir / "report.md", out_dir / "report.html", out_dir / "report.json"
    md.write_text(report.markdown(doc))
    page.write_text(report.html(doc, "airsrt benchmark report"))
    raw.write_text(json.dumps(data, indent=1))
    return [md, page, raw]


# -- main -----------------------------------------------------------------------------------------


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="airsrt's benchmarks: airsrt beside the asyncio "
        "baseline (and Erlang/OTP, when installed), with a Markdown and an HTML report.",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=(
            "examples:\n"
            "  python -m bench                      headline rows, about 5 minutes\n"
            "  python -m bench --fast               one-minute smoke run\n"
            "  python -m bench --full               everything, both loops, peers (~40 min)\n"
            "  python -m bench --check              compare ratios with bench/reference.json\n"
            "  python -m bench --rows tell,ask_eager --python .venv/bin/python,.venv312/bin/python\n"
            "  python -m bench --list               the rows and their ids"))
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--fast", action="store_true", help="one-minute smoke run (not to quote)")
    size.add_argument("--full", action="store_true",
                      help="every row on both loops, with the peers (about 40 minutes)")
    size.add_argument("--check", action="store_true",
                      help="regression check: same-run ratios against bench/reference.json")
    size.add_argument("--update-reference", action="store_true",
                      help="rewrite bench/reference.json from --repeat runs of the check set")
    parser.add_argument("--repeat", type=int, default=5,
                        help="runs of the check set for --update-reference (default 5)")
    parser.add_argument("--rows", default="", help="only these rows (ids or patterns, "
                        "comma-separated: tell,ask_eager,savina.*,erlang.skynet); see --list")
    parser.add_argument("--loop", choices=("asyncio", "uvloop", "both"), default=None,
                        help="event loop(s): asyncio by default, both with --full")
    parser.add_argument("--python", default="", help="interpreter(s) to measure, comma-separated "
                        "(each needs airsrt and the bench extra installed); default: this one")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="what the pyperf rows time: wall (default) or the process's CPU "
                        "time, which other processes on a busy machine do not inflate (--check "
                        "always uses cpu)")
    parser.add_argument("--no-plots", action="store_true", help="skip the plots")
    parser.add_argument("--out", default=str(RESULTS), help="where the report goes")
    parser.add_argument("--reference", default=str(REFERENCE), help=argparse.SUPPRESS)
    parser.add_argument("--list", action="store_true", help="list the rows and exit")
    parser.add_argument("--render", metavar="REPORT_JSON",
                        help="rebuild report.md and report.html from a report.json, measuring "
                        "nothing (after a change to the report's layout)")
    parser.add_argument("--plot", action="store_true", help=argparse.SUPPRESS)  # plots are always on
    args = parser.parse_args(argv)
    if args.loop is None:
        args.loop = "both" if args.full and not args.rows else "asyncio"
    return args


def list_rows() -> None:
    for r in registry.ROWS:
        sets = ",".join(s for s in (FAST, CHECK, DEFAULT, FULL) if s in r.sets)
        print(f"{r.id:<20} [{sets}] {r.label}  ({r.script}.py)")
    for e in registry.ERLANG_ROWS:
        print(f"{e.id:<20} [erlang] {e.label}")


def derive_aliases(results: dict[str, Results], beam: Results) -> None:
    """Measurements that are also points of a curve, so no curve measures them twice: the Savina
    Counting run is the 1M point of the throughput-vs-messages curve, the memory row the point at
    its N of the memory-vs-N curve."""
    for res in results.values():
        for impl in ("airsrt", "asyncio"):
            counting = res.values.get(f"savina.counting[{impl}]")
            size = res.meta.get(f"savina.counting[{impl}]", {}).get("size", "")
            if counting is not None and size.startswith("n = "):
                n = int(size.removeprefix("n = ").replace(",", ""))
                res.values[f"counting[{impl}]@{n}"] = counting.scaled(1e9 / n)
                res.meta[f"counting[{impl}]@{n}"] = {"n": n}
            memory = res.values.get(f"memory.rss[{impl}]")
            n = res.meta.get(f"memory.rss[{impl}]", {}).get("n")
            if memory is not None and n:
                res.values.setdefault(f"memory.rss[{impl}]@{n}", memory)
    for sched in ("1", "default"):
        counting = beam.values.get(f"beam.savina.counting[{sched}]")
        n = beam.meta.get(f"beam.savina.counting[{sched}]", {}).get("n")
        if counting is not None and n:
            beam.values[f"beam.counting[{sched}]@{n}"] = counting.scaled(1e9 / n)


def measure(mode: str, args: argparse.Namespace, configs: list[Config], rows: list[Row],
            erlang: list[ErlangRow], notes: list[str], quiet: bool = False,
            timings: list[dict[str, Any]] | None = None,
            ) -> tuple[dict[str, Results], Results, Results, list[str], float]:
    want_curves = mode in (FAST, DEFAULT, FULL) and not args.rows and not args.no_plots
    steps = plan(mode, rows, erlang, configs, want_curves, notes)
    results = {c.label: Results() for c in configs}
    beam, peers = Results(), Results()
    env = dict(os.environ, PYTHONHASHSEED="0")
    printer = Printer(rows, erlang, configs)
    progress = Progress(len(steps), tty=False if quiet else None)
    failed = False
    try:
        with tempfile.TemporaryDirectory(prefix="airsrt-bench-") as scratch:
            for step in steps:
                progress.start(step.title)
                target = (beam if step.script.name == "beam" else
                          peers if step.script.name == "peers" else
                          results[step.config.label])  # type: ignore[union-attr]
                started, cpu0 = progress.elapsed, children_cpu()
                extra = run_step(step, mode, progress, target, env, Path(scratch), args.clock)
                if timings is not None:
                    timings.append({"step": step.title, "wall_s": round(progress.elapsed - started, 1),
                                    "cpu_s": round(children_cpu() - cpu0, 1)})
                failed |= any("failed (exit" in line for line in extra)
                progress.finish(printer.ready(results, beam) + extra)
    finally:
        progress.close()
    derive_aliases(results, beam)
    if failed:
        notes.append("some runs failed: their rows are empty (the errors are printed above)")
    peer_names = sorted({k.split("[")[1].rstrip("]") for k in peers.values})
    return results, beam, peers, peer_names, progress.elapsed


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    if args.list:
        list_rows()
        return
    if args.render:
        render(Path(args.render), Path(args.out))
        return
    mode = mode_of(args)
    RESULTS.mkdir(exist_ok=True)
    configs = configs_for(args)
    rows, erlang = select_rows(mode, [p for p in args.rows.split(",") if p])
    if mode == CHECK and not args.rows:
        erlang = []
    if args.update_reference:
        update_reference(args, configs, rows)
        return
    notes: list[str] = []
    if not plots.available() and not args.no_plots:
        notes.append("matplotlib is not installed, so the report has no plots: "
                     "pip install -e \".[bench]\"")
        args.no_plots = True
    if mode == CHECK:
        args.clock = "cpu"
    meta: dict[str, Any] = {"machine": machine(), "mode": mode, "clock": args.clock,
                            "configs": [c.as_dict() for c in configs]}
    if beam_module.available() and erlang:
        try:
            meta["erlang"] = beam_module.otp_release()
        except (subprocess.SubprocessError, ValueError):
            pass
    loops = ", ".join(c.label for c in configs)
    print(f"airsrt benchmarks: {MODE_TEXT[mode]} on {loops}; {len(rows) + len(erlang)} rows.",
          flush=True)
    timings: list[dict[str, Any]] = []
    results, beam, peers, peer_names, seconds = measure(mode, args, configs, rows, erlang, notes,
                                                        timings=timings)
    meta["seconds"] = seconds
    meta["steps"] = timings
    meta["load_end"] = os.getloadavg()[0]
    doc = build_document(mode, configs, rows, erlang, results, beam, peers, peer_names, meta, notes,
                         with_plots=not args.no_plots and mode != CHECK)
    data = {"meta": meta, "results": {k: v.as_dict() for k, v in results.items()},
            "beam": beam.as_dict(), "peers": peers.as_dict(), "notes": notes,
            "rows": [r.id for r in rows], "erlang_rows": [r.id for r in erlang]}
    out_dir = Path(args.out)
    failed_rows: list[str] = []
    if mode == CHECK:
        config = configs[0]
        key = check.reference_key(config.version, config.loop)
        now = check.ratios(rows, results[config.label])
        table, failed_rows, note = check.compare(Path(args.reference), key, now)
        if failed_rows:
            # A regression must show twice: the suspects are measured again and keep the better
            # of their two ratios (a busy moment rarely strikes the same row twice).
            print(f"\nBelow tolerance: {', '.join(failed_rows)}. Measuring them again to confirm.",
                  flush=True)
            again_rows = [r for r in rows if r.id in failed_rows]
            again, *_ = measure(mode, args, configs, again_rows, [], notes)
            second = check.ratios(again_rows, again[config.label])
            now = {r: max(v, second.get(r, 0.0)) for r, v in now.items()}
            table, failed_rows, note = check.compare(Path(args.reference), key, now)
            table.title += " (rows below tolerance were measured twice: the better ratio is shown)"
        doc.blocks.insert(2, table)
        if note:
            doc.blocks.insert(3, report.Para(f"Note: {note}."))
        data["check"] = {"reference": key, "ratios": now, "failed": failed_rows}
    written = write_report(doc, data, out_dir)
    print()
    for block in doc.blocks:
        if isinstance(block, report.Table):
            print("\n".join(report.plain(block)))
            print()
    for note in notes:
        print(f"Note: {note}.")
    print(f"Took {clock(seconds)}. Report: {written[0]}  ·  with plots: {written[1]}  ·  "
          f"every sample: {written[2]}")
    if mode == CHECK:
        if failed_rows:
            print(f"REGRESSION: {', '.join(failed_rows)} dropped below the reference by more than "
                  f"their tolerance ({args.reference}).")
            sys.exit(1)
        print("Check passed: no ratio dropped beyond its tolerance.")


def render(path: Path, out_dir: Path) -> None:
    from . import docs

    data = docs.load(path)
    rows = [r for r in registry.ROWS if r.id in data["rows"]]
    erlang = [r for r in registry.ERLANG_ROWS if r.id in data.get("erlang_rows", [])]
    peers = data["peers_res"]
    peer_names = sorted({k.split("[")[1].rstrip("]") for k in peers.values})
    doc = build_document(data["meta"]["mode"], data["configs"], rows, erlang, data["res"],
                         data["beam_res"], peers, peer_names, data["meta"], list(data["notes"]),
                         with_plots=data["meta"]["mode"] != CHECK)
    raw = {k: v for k, v in data.items() if k not in ("configs", "res", "beam_res", "peers_res")}
    written = write_report(doc, raw, out_dir)
    print(f"Report: {written[0]}  ·  with plots: {written[1]}")


def update_reference(args: argparse.Namespace, configs: list[Config], rows: list[Row]) -> None:
    args.clock = "cpu"
    config = configs[0]
    key = check.reference_key(config.version, config.loop)
    runs = []
    for i in range(args.repeat):
        print(f"-- check set, run {i + 1} of {args.repeat} ({config.label})", flush=True)
        notes: list[str] = []
        load_before = os.getloadavg()[0]
        results, *_ = measure(CHECK, args, [config], rows, [], notes)
        got: dict[str, Any] = check.ratios(rows, results[config.label])
        got["_load"] = round(max(load_before, os.getloadavg()[0]), 2)
        runs.append(got)
    data = check.update(Path(args.reference), key, runs, f"{machine()['cpu']}, "
                        f"{os.cpu_count()} CPUs")
    print(f"Wrote {args.reference}: reference {key} from {len(runs)} runs.")
    for row_id, value in data["references"][key]["ratios"].items():
        print(f"  {row_id:<20} {value:8.2f}×   tolerance {data['tolerances'].get(row_id, 0):.0%}")
