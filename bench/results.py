"""What a run measured: values (with their samples) per configuration, and how rows read them."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from typing import Any

from .noise import Difference, Measure, Ratio, difference, ratio
from .rows import ErlangRow, Row


@dataclass(frozen=True)
class Config:
    """One interpreter and one event loop: a column group of the report."""

    python: str
    version: str
    loop: str
    label: str

    def as_dict(self) -> dict[str, str]:
        return {"python": self.python, "version": self.version, "loop": self.loop,
                "label": self.label}


@dataclass
class Results:
    """Every key measured under one configuration: its samples and the sizes it ran with."""

    values: dict[str, Measure] = field(default_factory=dict)
    meta: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, key: str, samples: float | list[float], meta: dict[str, Any] | None = None) -> None:
        self.values[key] = Measure.of(samples)
        self.meta[key] = dict(meta or {})

    def has(self, keys: list[str]) -> bool:
        return all(k in self.values for k in keys)

    def get(self, expr: str | None) -> Measure | Difference | None:
        """A key's measure, or ``"a - b"``'s difference (None if anything is missing)."""
        if not expr:
            return None
        if " - " in expr:
            a, b = (self.values.get(k.strip()) for k in expr.split(" - "))
            return difference(a, b) if a is not None and b is not None else None
        return self.values.get(expr)

    def matching(self, pattern: str) -> dict[str, Measure]:
        pattern = pattern.replace("[", "[[]")  # brackets in keys match themselves
        return {k: v for k, v in self.values.items() if fnmatch.fnmatchcase(k, pattern)}

    def as_dict(self) -> dict[str, Any]:
        return {"values": {k: list(v.samples) for k, v in self.values.items()}, "meta": self.meta}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Results:
        out = cls()
        for key, samples in data["values"].items():
            out.add(key, samples, data["meta"].get(key))
        return out


def fill(label: str, meta: dict[str, Any], raw: bool = False) -> str:
    """The row's label with ``{n}``, ``{size}``, ``{actors}`` from the measurement's sizes
    (numbers with thousands separators, unless `raw`: for keys)."""

    def one(match: re.Match[str]) -> str:
        value = meta.get(match.group(1))
        if value is None:
            return "?"
        return f"{value:,}" if isinstance(value, int) and not raw else str(value)

    return re.sub(r"\{(\w+)\}", one, label)


def row_label(row: Row | ErlangRow, results: Results) -> str:
    key = row.ours.split(" - ")[0].strip()
    return fill(row.label, results.meta.get(key, {}))


# -- how values print -------------------------------------------------------------------------------

UNIT_TITLES = {
    "ns": "time per operation (ns; lower is better)",
    "rate": "throughput (M msg/s; higher is better)",
    "B": "memory per actor (bytes; lower is better)",
    "MB": "memory of a whole run (MB; lower is better)",
    "s": "whole runs (seconds; lower is better)",
    "ms": "wall time per run (ms; lower is better)",
}


def number(value: float, unit: str) -> str:
    """One value in its table's unit, without the unit (the column header states it)."""
    if unit == "rate":
        return f"{1e3 / value:.2f}" if value > 0 else "—"
    if unit == "ms":
        value *= 1e3
    if unit == "B" and abs(value) < 1000:
        return f"{value:.1f}"
    if unit in ("B", "MB"):
        return f"{value:,.0f}"
    if unit == "s":
        return f"{value:,.2f}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if abs(value) >= 1 else f"{value:.2f}"


def cell(value: Measure | Difference | None, unit: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, Difference):
        if not value.real:
            return f"within noise (±{number(value.band, unit)})"
        return number(value.value, unit)
    return number(value.median, unit)


def compare(ours: Measure | Difference | None, theirs: Measure | Difference | None) -> Ratio | None:
    if isinstance(ours, Measure) and isinstance(theirs, Measure):
        return ratio(ours, theirs)
    return None


def ratio_cell(ours: Measure | Difference | None, theirs: Measure | Difference | None) -> str:
    got = compare(ours, theirs)
    return got.describe() if got is not None else "—"
