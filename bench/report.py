"""The report: tables built from the registry and the results, written as Markdown and as one
self-contained HTML page (the plots inline as SVG).

A report is a list of blocks (headings, paragraphs, lists, tables, figures); `markdown` and
`html` render the same blocks, so the two files never disagree. docs/performance.md is built from
the same tables by bench/docs.py.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from . import rows as registry
from .noise import Difference, Measure
from .results import (
    UNIT_TITLES, Config, Results, cell, compare, fill, number, ratio_cell, row_label,
)
from .rows import ErlangRow, Row

# -- blocks -----------------------------------------------------------------------------------------


@dataclass
class Heading:
    level: int
    text: str


@dataclass
class Para:
    text: str


@dataclass
class Bullets:
    items: list[str]


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    title: str = ""


@dataclass
class Figure:
    name: str  # file stem: plot-<name>.svg beside report.md
    svg: str
    caption: str


Block = Heading | Para | Bullets | Table | Figure


@dataclass
class Document:
    blocks: list[Block] = field(default_factory=list)

    def add(self, *blocks: Block) -> None:
        self.blocks.extend(blocks)


# -- tables: airsrt beside the asyncio baseline -----------------------------------------------------


def main_tables(selected: Sequence[Row], configs: Sequence[Config],
                results: dict[str, Results]) -> list[Block]:
    """One table per unit, every column in that unit; Savina apart (ms per run and M msg/s)."""
    out: list[Block] = []
    order = {s: i for i, s in enumerate(registry.SECTIONS)}
    for unit in ("ns", "rate", "B", "MB", "s"):
        rows = sorted((r for r in selected if r.unit == unit), key=lambda r: order[r.section])
        rows = [r for r in rows if any(results[c.label].get(r.ours) is not None for c in configs)]
        if not rows:
            continue
        header = ["row"]
        for c in configs:
            header += [f"airsrt ({c.label})", f"asyncio baseline ({c.label})",
                       f"airsrt vs baseline ({c.label})"]
        body = []
        for r in rows:
            line = [row_label(r, results[configs[0].label])]
            for c in configs:
                res = results[c.label]
                ours, base = res.get(r.ours), res.get(r.base)
                line += [cell(ours, unit), cell(base, unit), ratio_cell(ours, base)]
            body.append(line)
        out.append(Table(header, body, title=UNIT_TITLES[unit][0].upper() + UNIT_TITLES[unit][1:]))
    savina = [r for r in selected if r.unit == "ms"
              and any(results[c.label].get(r.ours) is not None for c in configs)]
    if savina:
        out.append(savina_table(savina, configs, results))
    return out


def savina_table(rows: Sequence[Row], configs: Sequence[Config],
                 results: dict[str, Results]) -> Table:
    header = ["workload (size)"]
    for c in configs:
        header += [f"airsrt ({c.label}), ms", f"baseline ({c.label}), ms",
                   f"airsrt vs baseline ({c.label})"]
    first = configs[0].label
    header += [f"airsrt ({first}), M msg/s", f"baseline ({first}), M msg/s"]
    body = []
    for r in rows:
        res0 = results[first]
        line = [row_label(r, res0)]
        for c in configs:
            ours, base = results[c.label].get(r.ours), results[c.label].get(r.base)
            line += [cell(ours, "ms"), cell(base, "ms"), ratio_cell(ours, base)]
        messages = res0.meta.get(r.ours, {}).get("messages")
        for key in (r.ours, r.base):
            value = res0.get(key)
            line.append(f"{messages / value.median / 1e6:.2f}"
                        if messages and isinstance(value, Measure) else "—")
        body.append(line)
    return Table(header, body, title="Savina workloads: wall time per run (ms) and messages "
                 "handled per second (M msg/s)")


def floors_text(configs: Sequence[Config], results: dict[str, Results]) -> str | None:
    parts = []
    for label, key in registry.FLOORS:
        got = [(c.label, results[c.label].values.get(key)) for c in configs]
        got = [(lbl, m) for lbl, m in got if m is not None]
        if got:
            parts.append(f"{label}: " + ", ".join(f"{number(m.median, 'ns')} ns ({lbl})"
                                                  for lbl, m in got))
    if not parts:
        return None
    return "Floors measured in the same run: " + "; ".join(parts) + "."


# -- tables: Erlang/OTP ----------------------------------------------------------------------------


def _beam_key(row: ErlangRow, sched: str, meta: dict) -> str:
    return fill(row.beam.replace("[S]", f"[{sched}]"), meta, raw=True)


def _cpu_key(key: str, kind: str) -> str:
    name, rest = key.split("[", 1)
    return f"{name}.{kind}[{rest}"


def _scaled(value: Measure | Difference | None, row: ErlangRow, meta: dict) -> Measure | None:
    if not isinstance(value, Measure):
        return None
    if row.scale == "mb_per_n" and meta.get("n"):
        return value.scaled(2**20 / meta["n"])
    return value


ERLANG_TABLES = {
    "op": ("ns", "Per operation (ns; lower is better)"),
    "memory": ("B", "Memory per actor or process (bytes; lower is better)"),
    "run": ("ms", "Whole workloads (ms per run; lower is better)"),
}


def erlang_tables(selected: Sequence[ErlangRow], config: Config, ours: Results,
                  beam: Results) -> list[Block]:
    default_scheds = next((m.get("schedulers") for k, m in beam.meta.items()
                           if "[default]" in k and m.get("schedulers")), None)
    many = f"BEAM, {default_scheds} schedulers" if default_scheds else "BEAM, default schedulers"
    out: list[Block] = []
    for table, (unit, title) in ERLANG_TABLES.items():
        rows = [r for r in selected if r.table == table]
        if not rows:
            continue
        with_cpu = table != "memory"
        header = ["workload", f"airsrt ({config.label})", "BEAM +S 1:1"]
        if with_cpu:
            header += ["BEAM user CPU", "BEAM system CPU"]
        header += ["airsrt vs BEAM +S 1:1", many, f"airsrt vs {many}"]
        body = []
        for r in rows:
            meta = ours.meta.get(r.ours, {})
            mine = _scaled(ours.get(r.ours), r, meta)
            one_key, many_key = _beam_key(r, "1", meta), _beam_key(r, "default", meta)
            one = _scaled(beam.get(one_key), r, meta)
            lots = _scaled(beam.get(many_key), r, meta)
            line = [fill(r.label, meta), cell(mine, unit), cell(one, unit)]
            if with_cpu:
                for kind in ("user", "sys"):
                    got = beam.get(_cpu_key(one_key, kind)) if r.cpu else None
                    line.append(cell(got, unit))
            line += [ratio_cell(mine, one), cell(lots, unit), ratio_cell(mine, lots)]
            body.append(line)
        out.append(Table(header, body, title=title))
    return out


def erlang_verdicts(selected: Sequence[ErlangRow], ours: Results, beam: Results) -> dict[str, list[str]]:
    """Rows where airsrt is ahead of, even with, or behind BEAM with one scheduler."""
    out: dict[str, list[str]] = {"ahead": [], "within noise": [], "behind": []}
    for r in selected:
        meta = ours.meta.get(r.ours, {})
        mine = _scaled(ours.get(r.ours), r, meta)
        one = _scaled(beam.get(_beam_key(r, "1", meta)), r, meta)
        got = compare(mine, one)
        if got is not None:
            out[got.verdict].append(r.id)
    return out


# -- tables: peers, targets ---------------------------------------------------------------------------


def _us(value: float) -> str:
    us = value / 1000
    if us >= 100:
        return f"{us:,.0f}"
    return f"{us:.1f}" if us >= 1 else f"{us:.2f}"


def peers_table(config: Config, ours: Results, peers: Results, names: Sequence[str]) -> Table | None:
    if not names or not peers.values:
        return None
    header = ["workload", f"airsrt ({config.label})", f"asyncio baseline ({config.label})", *names]
    body = []
    for bench, row_id, label in registry.PEER_ROWS:
        r = registry.row(row_id)
        line = [label]
        for key in (r.ours, r.base):
            got = ours.get(key)
            line.append(_us(got.median) if isinstance(got, Measure) else "—")
        for name in names:
            got = peers.values.get(f"{bench}[{name}]")
            line.append(_us(got.median) if got is not None else "—")
        body.append(line)
    return Table(header, body, title="The same workloads on other Python actor libraries "
                 "(µs per operation; lower is better)")


def with_unit(value: Measure | Difference | None, unit: str) -> str:
    if value is None:
        return "—"
    text = cell(value, unit)
    if text.startswith("within noise"):
        return text
    suffix = {"ns": " ns", "rate": " M msg/s", "B": " B", "MB": " MB", "s": " s", "ms": " ms"}
    return text + suffix[unit]


def target_met(r: Row, res: Results) -> str:
    value = res.get(r.ours)
    target = r.target
    if value is None or target is None:
        return "—"
    limit = target.limit
    if target.plus:
        extra = res.values.get(target.plus)
        if extra is None:
            return "—"
        limit += extra.median
    if isinstance(value, Difference):
        return "yes" if not value.real or value.value <= limit else "**no**"
    return "yes" if value.median <= limit else "**no**"


def targets_table(selected: Sequence[Row], configs: Sequence[Config],
                  results: dict[str, Results]) -> Table | None:
    rows = [r for r in selected if r.target is not None]
    if not rows:
        return None
    header = ["row", "AirsSys RT (published)", "DESIGN §5 target"]
    for c in configs:
        header += [f"measured ({c.label})", f"met ({c.label})"]
    body = []
    for r in rows:
        line = [row_label(r, results[configs[0].label]), r.published, r.target.text]  # type: ignore[union-attr]
        for c in configs:
            line += [with_unit(results[c.label].get(r.ours), r.unit), target_met(r, results[c.label])]
        body.append(line)
    return Table(header, body, title="Targets (DESIGN §5) and the original's published figures")


# -- rendering ------------------------------------------------------------------------------------------


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown(doc: Document, image_dir: str = ".") -> str:
    out: list[str] = []
    for block in doc.blocks:
        if isinstance(block, Heading):
            out += ["#" * block.level + " " + block.text, ""]
        elif isinstance(block, Para):
            out += [block.text, ""]
        elif isinstance(block, Bullets):
            out += [f"- {item}" for item in block.items] + [""]
        elif isinstance(block, Table):
            if block.title:
                out += [f"**{block.title}**", ""]
            out.append("| " + " | ".join(map(_md_cell, block.header)) + " |")
            out.append("|" + "|".join(["---"] + ["--:"] * (len(block.header) - 1)) + "|")
            out += ["| " + " | ".join(map(_md_cell, line)) + " |" for line in block.rows]
            out.append("")
        elif isinstance(block, Figure):
            out += [f"![{block.caption}]({image_dir}/plot-{block.name}.svg)", ""]
    return "\n".join(out).rstrip() + "\n"


def _inline(text: str) -> str:
    """The little Markdown the report's prose uses: `code`, **bold**, [text](link)."""
    text = html_lib.escape(text, quote=False)
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
    text = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", text)
    return re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r'<a href="\2">\1</a>', text)


STYLE = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d1d1f;
       max-width: 1180px; margin: 2em auto; padding: 0 1.2em; }
h1 { font-size: 1.7em; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; }
.scroll { overflow-x: auto; margin: 0.6em 0 1.4em; }
table { border-collapse: collapse; font-size: 0.9em; }
caption { text-align: left; font-weight: 600; padding: 0.3em 0; }
th, td { border: 1px solid #d8d8d8; padding: 0.3em 0.6em; vertical-align: top; }
th { background: #f4f5f7; text-align: left; }
td:not(:first-child) { text-align: right; white-space: nowrap; }
tr:nth-child(even) td { background: #fafafa; }
figure { margin: 1.2em 0; } figure svg { max-width: 100%; height: auto; }
figcaption { color: #555; font-size: 0.9em; }
code { background: #f1f1f1; padding: 0 0.25em; border-radius: 3px; }
"""


def html(doc: Document, title: str) -> str:
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{html_lib.escape(title)}</title><style>{STYLE}</style></head><body>"]
    for block in doc.blocks:
        if isinstance(block, Heading):
            out.append(f"<h{block.level}>{_inline(block.text)}</h{block.level}>")
        elif isinstance(block, Para):
            out.append(f"<p>{_inline(block.text)}</p>")
        elif isinstance(block, Bullets):
            out.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in block.items) + "</ul>")
        elif isinstance(block, Table):
            parts = ['<div class="scroll"><table>']
            if block.title:
                parts.append(f"<caption>{_inline(block.title)}</caption>")
            parts.append("<tr>" + "".join(f"<th>{_inline(h)}</th>" for h in block.header) + "</tr>")
            for line in block.rows:
                parts.append("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in line) + "</tr>")
            parts.append("</table></div>")
            out.append("".join(parts))
        elif isinstance(block, Figure):
            svg = re.sub(r"^<\?xml[^>]*>\s*(<!DOCTYPE[^>]*>\s*)?", "", block.svg)
            out.append(f"<figure>{svg}<figcaption>{_inline(block.caption)}</figcaption></figure>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def plain(table: Table) -> list[str]:
    """A table as aligned text for the terminal."""
    grid = [[c.replace("**", "") for c in line] for line in (table.header, *table.rows)]
    widths = [max(len(line[i]) for line in grid) for i in range(len(table.header))]
    lines = [table.title] if table.title else []
    for n, line in enumerate(grid):
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                               for i, (c, w) in enumerate(zip(line, widths))).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return lines
