"""The benchmark runner's own logic: the noise rule, the registry, the report writer, the
regression check and the progress lines. Nothing here measures a speed."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if not (ROOT / "bench" / "rows.py").exists():
    pytest.skip("the bench/ directory is not beside these tests", allow_module_level=True)
sys.path.insert(0, str(ROOT))

from bench import check, report, sizes  # noqa: E402
from bench import rows as registry  # noqa: E402
from bench.noise import Measure, difference, ratio  # noqa: E402
from bench.progress import Progress  # noqa: E402
from bench.results import Config, Results, cell, fill, number, ratio_cell  # noqa: E402

# -- the noise rule -------------------------------------------------------------------------------


def test_a_negative_difference_is_never_printed_as_a_figure() -> None:
    dequeue = Measure.of([60.9, 61.2, 60.5, 61.0, 60.7, 61.1, 60.8, 60.9, 61.3, 60.6])
    bare = Measure.of([62.6, 62.1, 62.9, 62.4, 62.7, 62.2, 62.8, 62.5, 62.3, 62.6])
    got = difference(dequeue, bare)
    assert got.value < 0 and not got.real
    assert cell(got, "ns").startswith("within noise (±")


def test_a_difference_inside_the_band_is_within_noise_and_a_clear_one_is_a_figure() -> None:
    a = Measure.of([100, 140, 90, 130, 95, 120, 105, 110, 98, 125])
    b = Measure.of([97, 130, 95, 120, 100, 115, 101, 108, 96, 119])
    assert not difference(a, b).real
    publish = Measure.of([132, 131, 133, 132, 130, 134, 132, 131, 133, 132])
    direct = Measure.of([102, 101, 103, 102, 100, 104, 102, 101, 103, 102])
    got = difference(publish, direct)
    assert got.real and cell(got, "ns") == "30.0"


def test_few_samples_take_half_their_range_as_noise() -> None:
    # Three samples with one outlier: the median ignores it, the band must not.
    direct = Measure.of([587.1, 281.5, 257.6])
    publish = Measure.of([588.4, 603.7, 578.5])
    assert direct.noise >= (587.1 - 257.6) / 2
    assert not difference(publish, direct).real


def test_a_single_sample_gets_the_assumed_relative_noise() -> None:
    one = Measure.of(300.0)
    assert one.relative_noise == pytest.approx(0.10)


def test_ratio_verdicts() -> None:
    fast = Measure.of([100] * 10)
    slow = Measure.of([1500] * 10)
    assert ratio(fast, slow).describe() == "15.0× ahead"  # type: ignore[union-attr]
    assert ratio(slow, fast).describe() == "15.0× behind"  # type: ignore[union-attr]
    noisy = Measure.of([100, 160, 70, 130, 90, 150, 80, 120, 110, 60])
    close = Measure.of([105] * 10)
    assert ratio(noisy, close).describe().startswith("within noise (±")  # type: ignore[union-attr]
    assert ratio_cell(Measure.of(0.0), fast) == "—"


def test_every_unit_prints_without_a_unit_in_the_cell() -> None:
    assert number(6890.2, "ns") == "6,890"
    assert number(21.44, "ns") == "21.4"
    assert number(100.0, "rate") == "10.00"  # 100 ns per message is 10 M msg/s
    assert number(300.24, "B") == "300.2"
    assert number(4731.0, "B") == "4,731"
    assert number(0.0178, "ms") == "17.8"


# -- the registry ---------------------------------------------------------------------------------


def test_row_ids_are_unique_and_every_row_names_a_registered_script() -> None:
    ids = [r.id for r in registry.ROWS] + [r.id for r in registry.ERLANG_ROWS]
    assert len(ids) == len(set(ids))
    for r in registry.ROWS:
        assert r.script in registry.SCRIPTS, r.id
        assert (ROOT / "bench" / f"{r.script}.py").exists(), r.script
        assert r.unit in ("ns", "rate", "B", "MB", "s", "ms"), r.id
    for name in registry.SCRIPTS:
        assert (ROOT / "bench" / f"{name}.py").exists(), name
    erlang = (ROOT / "bench" / "erlang" / "airsrt_bench.erl").read_text()
    for e in registry.ERLANG_ROWS:
        assert e.script in registry.SCRIPTS, e.id
        assert f'run("{e.workload}"' in erlang, e.id


def test_the_headline_set_has_what_the_default_run_promises() -> None:
    headline = {r.id for r in registry.ROWS if registry.DEFAULT in r.sets}
    for row_id in ("spawn", "memory", "tell", "ask_eager", "ask_queued", "broadcast_S1000",
                   "broker_overhead", "supervised_spawn", "crash_restart", "stop", "self_stop",
                   "million",
                   "skynet", *(f"savina.{w}" for w in sizes.SAVINA)):
        assert row_id in headline, row_id
    checked = {r.id for r in registry.ROWS if registry.CHECK in r.sets}
    assert all(registry.row(r).base for r in checked), "a checked row needs a baseline ratio"


def test_rows_option_plans_only_the_scripts_it_needs() -> None:
    from bench import run

    rows, erlang = run.select_rows("default", ["tell", "ask_eager"])
    assert [r.id for r in rows] == ["tell", "ask_eager"] and erlang == []
    config = Config(sys.executable, "3.11.0", "asyncio", "asyncio")
    steps = run.plan("default", rows, erlang, [config], want_curves=False, notes=[])
    assert [s.script.name for s in steps] == ["messaging"]
    assert steps[0].only == ["ask[asyncio]", "ask_eager[airsrt]", "tell[airsrt]", "tell[asyncio]"]


def test_the_sizes_keep_the_savina_defaults_for_the_default_and_full_runs() -> None:
    for mode in ("default", "full"):
        assert sizes.SIZES[mode]["savina_scale"] == 1
    assert sizes.savina_size("counting", 1) == {"n": 1_000_000}
    assert sizes.savina_size("threadring", 10) == {"actors": 100, "hops": 10_000}


def test_every_curve_gets_a_labelled_tick_inside_its_own_range() -> None:
    from bench import plots

    # airsrt's memory (~300-410 B) lies between the 1-2-5 ticks 200 and 500.
    ticks = plots.ticks_for(222, 6600, [[301, 301, 410], [4739, 4739], [1600, 2931]], False)
    assert 300 in ticks and {500, 1000, 2000, 5000} <= set(ticks)
    assert plots.nice_ticks(1, 1_000_000, decades=True) == [1, 10, 100, 1000, 10000, 100000, 1000000]
    assert plots.si(1500, "ns") == "1.5 µs" and plots.si(4900, "B") == "4.9 kB"


def test_labels_state_their_n() -> None:
    assert fill("spawn (N = {n})", {"n": 1_000_000}) == "spawn (N = 1,000,000)"
    assert fill("beam.memory.rss[1]@{n}", {"n": 100_000}, raw=True) == "beam.memory.rss[1]@100000"


# -- the report writer ----------------------------------------------------------------------------


def sample_document() -> report.Document:
    config = Config(sys.executable, "3.11.7", "asyncio", "asyncio")
    res = Results()
    res.add("tell[airsrt]", [100.0] * 9)
    res.add("tell[asyncio]", [730.0] * 9)
    res.add("publish_1sub[airsrt]", [130, 128, 131, 129, 133, 127, 130, 132, 129])
    res.add("direct_tell[airsrt]", [131, 130, 127, 132, 128, 131, 129, 130, 133])
    chosen = [registry.row("tell"), registry.row("broker_overhead")]
    doc = report.Document()
    doc.add(report.Heading(1, "t"), *report.main_tables(chosen, [config], {"asyncio": res}))
    doc.add(report.Figure("x", '<?xml version="1.0"?>\n<svg id="s"></svg>', "a plot"))
    return doc


def test_the_tables_put_one_unit_per_table_and_noise_in_words() -> None:
    text = report.markdown(sample_document())
    assert "**Throughput (M msg/s; higher is better)**" in text
    assert "| tell → handled, one actor (N = 100,000 tells in bursts of 5,000) | 10.00 | 1.37 | 7.3× ahead |" in text
    assert "within noise (±" in text
    assert "![a plot](./plot-x.svg)" in text


def test_the_html_page_is_self_contained() -> None:
    page = report.html(sample_document(), "t")
    assert '<svg id="s"></svg>' in page and "<?xml" not in page
    assert "<table>" in page and "<caption>" in page
    for external in ("<script", "<link", "src=\"http", "href=\"http"):
        assert external not in page


# -- the regression check -------------------------------------------------------------------------


def test_check_fails_naming_the_rows_that_dropped(tmp_path: Path) -> None:
    path = tmp_path / "reference.json"
    runs = [{"tell": 7.0 + d, "spawn": 15.0 + d} for d in (0.0, 0.2, -0.2, 0.1, -0.1)]
    check.update(path, "cpython-3.11/asyncio", runs, "test machine")
    data = json.loads(path.read_text())
    assert data["tolerances"]["tell"] == pytest.approx(check.FLOOR)
    assert data["references"]["cpython-3.11/asyncio"]["ratios"]["tell"] == 7.0
    _, failed, _ = check.compare(path, "cpython-3.11/asyncio", {"tell": 6.9, "spawn": 15.1})
    assert failed == []
    _, failed, _ = check.compare(path, "cpython-3.11/asyncio", {"tell": 3.0, "spawn": 15.1})
    assert failed == ["tell"]


def test_tolerance_follows_the_deepest_recorded_dip(tmp_path: Path) -> None:
    path = tmp_path / "reference.json"
    check.update(path, "cpython-3.11/asyncio", [{"stop": v} for v in (1.0, 1.0, 0.8, 1.0, 1.1)], "m")
    data = json.loads(path.read_text())
    assert data["tolerances"]["stop"] == pytest.approx(max(check.FLOOR, check.SAFETY * 0.2))
    table, failed, _ = check.compare(path, "cpython-3.11/asyncio", {"stop": 0.7})
    assert failed == [] and table.rows[0][-1] == "ok"


def test_check_without_a_reference_for_this_interpreter_compares_nothing(tmp_path: Path) -> None:
    table, failed, note = check.compare(tmp_path / "none.json", "cpython-3.13/asyncio", {"tell": 1.0})
    assert failed == [] and note and "no reference" in note


def test_the_committed_reference_has_its_method_and_enough_runs() -> None:
    data = json.loads((ROOT / "bench" / "reference.json").read_text())
    assert "tolerance" in data["about"]
    for key, ref in data["references"].items():
        assert ref["runs"] >= check.MIN_RUNS, key
    assert len(data["observations"]) >= check.MIN_RUNS


# -- progress ------------------------------------------------------------------------------------


def test_plain_progress_prints_each_step_before_its_results() -> None:
    out = io.StringIO()
    progress = Progress(2, out=out, tty=False)
    progress.start("spawn and stop")
    progress.finish(["    spawn: airsrt 456 ns"])
    progress.start("the Savina workloads")
    progress.finish(["    PingPong: airsrt 17.8 ms"])
    progress.close()
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("[1/2] spawn and stop (1 steps left")
    assert lines[1] == "    spawn: airsrt 456 ns"
    assert lines[2].startswith("[2/2] the Savina workloads")
    assert lines[3] == "    PingPong: airsrt 17.8 ms"


def test_tty_progress_draws_a_bar_and_keeps_results_below_their_step() -> None:
    out = io.StringIO()
    progress = Progress(3, out=out, tty=True)
    progress.start("tell")
    progress.finish(["    tell: airsrt 10 M msg/s"])
    progress.start("spawn")
    progress.close()
    text = out.getvalue()
    assert "░" * 20 + " 0/3" in text and "█" * 6 + "░" * 14 + " 1/3" in text
    assert "step 2: spawn" in text
    assert text.index("[1/3] tell (done at") < text.index("    tell: airsrt 10 M msg/s")


# -- the scripts' plumbing -----------------------------------------------------------------------


def test_only_patterns_treat_brackets_literally() -> None:
    pytest.importorskip("pyperf")
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import common
    finally:
        sys.path.remove(str(ROOT / "bench"))
    assert common.matches("tell[airsrt]", "tell[airsrt]")
    assert not common.matches("tella", "tell[airsrt]")
    assert common.matches("savina.big[asyncio]", "savina.*")


@pytest.mark.skipif(shutil.which("erlc") is None, reason="Erlang/OTP is not installed")
def test_the_erlang_workloads_compile_and_run(tmp_path: Path) -> None:
    src = ROOT / "bench" / "erlang"
    subprocess.run(["erlc", "-o", str(tmp_path), *map(str, src.glob("*.erl"))], check=True,
                   timeout=120)
    done = subprocess.run(
        ["erl", "-noshell", "+S", "1:1", "-pa", str(tmp_path), "-run", "airsrt_bench", "main",
         "skynet", "leaves=100", "reps=2"], capture_output=True, text=True, timeout=120, check=True)
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(results) == 2 and results[0]["workload"] == "skynet"
    assert results[0]["schedulers"] == 1 and results[0]["wall_ns"] > 0


# -- docs/performance.md -------------------------------------------------------------------------


def synthetic_report() -> dict:
    """A report.json as a --full run writes it, with made-up but plausible values."""
    from bench import run

    def samples(v: float) -> list[float]:
        return [v * f for f in (0.98, 1.0, 1.02, 0.99, 1.01)]

    results = {}
    for loop in ("asyncio", "uvloop"):
        res = Results()
        for r in registry.ROWS:
            for key in r.keys():
                if key not in res.values:
                    base = "[asyncio]" in key
                    res.add(key, samples(1000.0 if base else 100.0),
                            {"n": 1000, "actors": 1111, "size": "n = 1,000", "messages": 2000})
        res.add("spawn_fresh[airsrt]", samples(300.0), {"n": 1000})
        for n in (1000, 10000, 100000):
            res.add(f"spawn[airsrt]@{n}", samples(250.0), {"n": n})
            res.add(f"spawn[asyncio]@{n}", samples(5000.0), {"n": n})
        results[loop] = res.as_dict()
    beam = Results()
    for sched in ("1", "default"):
        for e in registry.ERLANG_ROWS:
            key = e.beam.replace("[S]", f"[{sched}]").replace("{n}", "1000")
            beam.add(key, samples(50.0 if "savina" in key else 400.0), {"schedulers": 2})
        for n in (1000, 10000):
            beam.add(f"beam.spawn[{sched}]@{n}", samples(2500.0), {})
    peers = Results()
    for bench in ("spawn", "tell", "ask"):
        peers.add(f"{bench}[pykka]", samples(50_000.0), {})
    configs = [Config(sys.executable, "3.11.7", loop, loop).as_dict() for loop in ("asyncio", "uvloop")]
    machine = {"os": "Linux", "cpu": "test CPU", "cpus": 2, "date": "2026-12-02T01:00",
               "commit": "abc1234", "load_start": [1.0, 1.0, 1.0]}
    assert run.MODE_TEXT  # the runner's module imports cleanly
    return {"meta": {"machine": machine, "mode": "full", "configs": configs, "seconds": 2400,
                     "load_end": 1.0, "erlang": "Erlang/OTP 25 (erts 13.1.5, JIT)"},
            "results": results, "beam": beam.as_dict(), "peers": peers.as_dict(), "notes": [],
            "rows": [r.id for r in registry.ROWS],
            "erlang_rows": [r.id for r in registry.ERLANG_ROWS]}


def test_the_performance_page_is_generated_in_the_order_a_reader_needs(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from bench import docs

    path = tmp_path / "report.json"
    path.write_text(json.dumps(synthetic_report()))
    docs.main([str(path), "--docs", str(tmp_path / "docs")])
    page = (tmp_path / "docs" / "performance.md").read_text()
    order = ["## How airsrt compares", "**Ahead of BEAM per core**", "**Behind**",
             "## How it is measured", "**AirsSys RT**", "**DESIGN §5**",
             "## airsrt beside the asyncio baseline", "## Erlang/OTP on the same machine",
             "## Other Python actor libraries", "## Targets", "## Scaling",
             "![Spawn: cost per actor", "### The data behind the plots"]
    positions = [page.index(marker) for marker in order]
    assert positions == sorted(positions)
    # The airsrt/baseline, Erlang and peers data are separate tables, each narrow.
    for line in page.splitlines():
        if line.startswith("| "):
            assert line.count(" | ") <= 10, line
    svgs = sorted(p.name for p in (tmp_path / "docs" / "img").glob("perf-*.svg"))
    assert "perf-spawn.svg" in svgs and "perf-savina.svg" in svgs and "perf-peers.svg" in svgs
    for name in svgs:
        assert f"img/{name}" in page


def test_the_performance_page_quotes_only_full_runs(tmp_path: Path) -> None:
    from bench import docs

    data = synthetic_report()
    data["meta"]["mode"] = "default"
    path = tmp_path / "report.json"
    path.write_text(json.dumps(data))
    with pytest.raises(SystemExit, match="--full"):
        docs.main([str(path), "--docs", str(tmp_path / "docs")])
