"""Regression detection: same-run ratios (airsrt vs the asyncio baseline) against a reference.

``python -m bench --check`` runs the check set (the `CHECKED` rows at the --fast sizes), computes
each row's ratio -- baseline cost ÷ airsrt cost, measured side by side in the same run, so a
busy machine slows both -- and fails, naming the rows, when a ratio has dropped below its
reference by more than the row's tolerance.

How the tolerances are set (``--update-reference --repeat K``): the check set runs K times; the
reference ratio of a row is the median of those runs, and each run's relative deviation below
that median is recorded in the file (``observations``, kept across updates, with the load
average the run saw). A row's tolerance is ``SAFETY`` times the largest dip ever recorded, and
never below `FLOOR`: a drop has to be twice as deep as anything this machine's noise produced in
any recorded session, busy or quiet, before the check calls it a regression. A row whose
tolerance comes out above `CEILING` is too noisy to say anything about here; it is reported but
not checked.

The check times with the process's CPU clock (``time.process_time``): on a shared machine wall
time also counts the other processes' turns on the CPU, which swung the same ratio by several
times between runs under load; CPU time swings by tens of percent. A row that falls below its
tolerance is measured a second time and keeps the better ratio: a regression has to show twice.

References are kept per interpreter and loop (``cpython-3.11/asyncio``): the baseline's speed
differs between Python versions, so a ratio from one cannot judge another. With no reference for
the running interpreter the check prints its ratios, says so and passes;
``--update-reference`` records one.
"""

from __future__ import annotations

import datetime
import json
import os
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .noise import Measure
from .report import Table
from .results import Results
from .rows import Row

SAFETY = 2.0
FLOOR = 0.25
CEILING = 0.6
MIN_RUNS = 5


def reference_key(version: str, loop: str) -> str:
    major_minor = ".".join(version.split(".")[:2])
    return f"cpython-{major_minor}/{loop}"


def ratios(rows: Sequence[Row], results: Results) -> dict[str, float]:
    out = {}
    for r in rows:
        ours, base = results.get(r.ours), results.get(r.base)
        if isinstance(ours, Measure) and isinstance(base, Measure) and ours.median > 0:
            out[r.id] = base.median / ours.median
    return out


def load(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {"references": {}, "observations": []}
    return json.loads(path.read_text())


def tolerances(data: dict[str, Any]) -> dict[str, float]:
    """Per row: SAFETY x the deepest recorded dip below a session's median, at least FLOOR."""
    dips: dict[str, float] = {}
    for obs in data.get("observations", []):
        for row_id, dip in obs["dips"].items():
            dips[row_id] = max(dips.get(row_id, 0.0), dip)
    return {row_id: max(FLOOR, SAFETY * dip) for row_id, dip in dips.items()}


def update(path: Path, key: str, runs: list[dict[str, float]], machine: str) -> dict[str, Any]:
    """Writes the medians of `runs` as `key`'s reference and records each run's dips."""
    data = load(path)
    rows = sorted({r for run in runs for r in run if not r.startswith("_")})
    medians = {r: statistics.median(run[r] for run in runs if r in run) for r in rows}
    today = datetime.date.today().isoformat()
    load_avg = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    for run in runs:
        data.setdefault("observations", []).append({
            "reference": key, "date": today, "load": run.get("_load", load_avg),
            "dips": {r: round(max(0.0, 1 - run[r] / medians[r]), 4) for r in rows if r in run},
        })
    data.setdefault("references", {})[key] = {
        "ratios": {r: round(v, 4) for r, v in medians.items()},
        "runs": len(runs), "date": today, "machine": machine,
    }
    data["about"] = (
        "Reference ratios (asyncio baseline cost / airsrt cost, measured side by side in one run, "
        "timed with the process CPU clock) for python -m bench --check, per interpreter and "
        "loop: the median of the check set run `runs` times. Each observation is one run's "
        "relative dip below its session's median, with the 1-minute load average it saw; "
        "sessions accumulate (busy and quiet). A row's tolerance is "
        f"{SAFETY:g} x its deepest recorded dip, at least {FLOOR:.0%}; rows whose tolerance "
        f"exceeds {CEILING:.0%} are reported, not checked; a row below tolerance is measured "
        "again and fails only if it is below twice. Rewrite after an intended change with: "
        "python -m bench --update-reference --repeat 5 (see bench/check.py)."
    )
    data["tolerances"] = {r: round(t, 3) for r, t in sorted(tolerances(data).items())}
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    return data


def compare(path: Path, key: str, now: dict[str, float]) -> tuple[Table, list[str], str | None]:
    """The comparison table, the rows that regressed, and a note (no reference, too few runs)."""
    data = load(path)
    ref = data.get("references", {}).get(key)
    header = ["row", "reference ratio", "this run", "change", "allowed drop", "verdict"]
    if ref is None:
        body = [[r, "—", f"{v:.2f}×", "—", "—", "no reference"] for r, v in now.items()]
        note = (f"{path.name} has no reference for {key}: nothing compared. Record one on this "
                "machine with: python -m bench --update-reference --repeat 5")
        return Table(header, body, "Regression check"), [], note
    tol = {r: float(t) for r, t in data.get("tolerances", {}).items()}
    failed, body = [], []
    for row_id, value in now.items():
        reference = ref["ratios"].get(row_id)
        if reference is None:
            body.append([row_id, "—", f"{value:.2f}×", "—", "—", "new row: not in the reference"])
            continue
        allowed = tol.get(row_id, FLOOR)
        change = value / reference - 1
        if allowed > CEILING:
            verdict = "too noisy here to check"
        elif value < reference * (1 - allowed):
            verdict = "**REGRESSED**"
            failed.append(row_id)
        else:
            verdict = "ok"
        body.append([row_id, f"{reference:.2f}×", f"{value:.2f}×", f"{change:+.0%}",
                     f"{allowed:.0%}", verdict])
    note = None
    if ref.get("runs", 0) < MIN_RUNS:
        note = f"the reference for {key} comes from {ref.get('runs')} runs (fewer than {MIN_RUNS})"
    return Table(header, body, "Regression check"), failed, note
