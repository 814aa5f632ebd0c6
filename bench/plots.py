"""The report's plots, as SVG text (matplotlib; the ``bench`` extra installs it).

- spawn and idle memory per actor against N (up to a million), airsrt, the asyncio baseline and
  BEAM with one scheduler;
- broadcast cost per subscriber against the number of subscribers;
- throughput (M msg/s) against the number of messages sent to one actor;
- throughput against the number of active actors (``--full``);
- the Savina workloads as bars (M msg/s): airsrt, the baseline, BEAM with one and all schedulers;
- the other Python actor libraries as bars (``--full``).

Every y axis is logarithmic with labelled ticks chosen inside the data's own range (1-2-5 steps,
finer when the range is narrow), so the region where airsrt's curves lie is always labelled.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Callable, Sequence
from typing import Any

from . import rows as registry
from . import sizes
from .noise import Measure
from .results import Config, Results

AIRSRT, BASELINE, BEAM, BEAM_MANY = "#1f6feb", "#8c959f", "#c2410c", "#f59e0b"
PEER_COLORS = ("#6f42c1", "#1a7f37", "#bf3989")


def available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


# -- axes ------------------------------------------------------------------------------------------


def nice_ticks(low: float, high: float, decades: bool = False) -> list[float]:
    """Tick values between `low` and `high` in 1-2-5 steps (decades only if `decades` and the
    range spans three of them), finer if that gives fewer than 3."""
    steps = [(1, 2, 5), (1, 1.5, 2, 3, 5, 7), (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8)]
    if decades and high / low >= 1000:
        steps.insert(0, (1,))
    for mantissas in steps:
        ticks = [m * 10**e for e in range(math.floor(math.log10(low)) - 1,
                                          math.ceil(math.log10(high)) + 1)
                 for m in mantissas if low <= m * 10**e <= high]
        if len(ticks) >= 3:
            return ticks
    return [low, math.sqrt(low * high), high]


def si(value: float, unit: str) -> str:
    """A tick label: 200 ns, 1.5 µs, 4.7 KB, 2 M, ..."""
    if unit == "ns":
        for scale, name in ((1e9, "s"), (1e6, "ms"), (1e3, "µs")):
            if value >= scale:
                return f"{value / scale:g} {name}"
        return f"{value:g} ns"
    if unit == "B":
        for scale, name in ((1e9, "GB"), (1e6, "MB"), (1e3, "kB")):
            if value >= scale:
                return f"{value / scale:g} {name}"
        return f"{value:g} B"
    if unit == "count":
        for scale, name in ((1e6, "M"), (1e3, "k")):
            if value >= scale:
                return f"{value / scale:g}{name}"
        return f"{value:g}"
    return f"{value:g}"


def ticks_for(low: float, high: float, groups: Sequence[Sequence[float]], decades: bool) -> list[float]:
    """`nice_ticks`, plus one tick inside the range of every group (a series) that has none, so
    a curve lying between two 1-2-5 ticks still has its values labelled."""
    ticks = nice_ticks(low, high, decades)
    for group in groups:
        g_low, g_high = min(group) / 1.15, max(group) * 1.15
        if any(g_low <= t <= g_high for t in ticks):
            continue
        centre = math.sqrt(g_low * g_high)
        for mantissas in ((3,), (1.5, 4), (1.2, 2.5, 6, 7, 8)):  # the roundest that fits
            candidates = [m * 10**e for e in range(math.floor(math.log10(g_low)) - 1,
                                                   math.ceil(math.log10(g_high)) + 1)
                          for m in mantissas if g_low <= m * 10**e <= g_high]
            if candidates:
                ticks.append(min(candidates, key=lambda t: abs(math.log(t / centre))))
                break
    return sorted(ticks)


def _log_axis(ax: Any, axis: str, values: Sequence[float], unit: str,
              groups: Sequence[Sequence[float]] = ()) -> None:
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter, NullLocator

    low, high = min(values), max(values)
    pad = 1.35
    getattr(ax, f"set_{axis}scale")("log")
    getattr(ax, f"set_{axis}lim")(low / pad, high * pad)
    target = ax.yaxis if axis == "y" else ax.xaxis
    ticks = ticks_for(low / pad, high * pad, groups, decades=axis == "x")
    target.set_major_locator(FixedLocator(ticks))
    target.set_major_formatter(FuncFormatter(lambda v, _: si(v, unit)))
    target.set_minor_locator(NullLocator())
    target.set_minor_formatter(NullFormatter())


def _svg(fig: Any, salt: str) -> str:
    import matplotlib
    import matplotlib.pyplot as plt

    matplotlib.rcParams["svg.hashsalt"] = salt  # ids differ between plots inlined in one page
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    plt.close(fig)
    return buf.getvalue()


def _figure(title: str) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: small, sharp, searchable
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.2, 4.8))
    ax.set_title("\n".join(textwrap.wrap(title, 72)), fontsize=11)
    ax.grid(True, which="major", alpha=0.3)
    return fig, ax


# -- curves ----------------------------------------------------------------------------------------

Series = tuple[str, list[tuple[float, float]], str, str]  # label, points, color, line style


def points(results: Results, pattern: str, transform: Callable[[float], float]) -> list[tuple[float, float]]:
    out = []
    for key, measure in results.matching(pattern).items():
        if measure.median > 0:  # a log axis has no room for zero (an RSS that did not grow)
            out.append((float(key.rsplit("@", 1)[1]), transform(measure.median)))
    return sorted(out)


def curve_plot(name: str, title: str, xlabel: str, ylabel: str, unit: str,
               series: list[Series]) -> str | None:
    series = [s for s in series if s[1]]
    if not series or not any(len(s[1]) > 1 for s in series):
        return None
    fig, ax = _figure(title)
    for label, pts, color, style in series:
        xs, ys = zip(*pts)
        ax.plot(xs, ys, style, color=color, label=label, markersize=4)
    xs = [x for s in series for x, _ in s[1]]
    ys = [y for s in series for _, y in s[1]]
    _log_axis(ax, "x", xs, "count")
    _log_axis(ax, "y", ys, unit, [[y for _, y in s[1]] for s in series])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _legend_below(ax, len(series))
    fig.tight_layout()
    return _svg(fig, name)


def _legend_below(ax: Any, entries: int) -> None:
    """The legend under the axes, where it cannot hide a curve or a bar."""
    ax.legend(fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.2),
              ncol=min(entries, 3))


CURVE_TEXT = {
    # name: (title, x label, y label, tick unit, value transform)
    "spawn": ("Spawn: cost per actor against the number spawned", "actors spawned (N)",
              "per actor", "ns", lambda v: v),
    "memory": ("Memory per actor against the number alive (RSS growth; at 1M after one "
               "message each)", "actors alive (N)", "per actor", "B", lambda v: v),
    "broadcast": ("Broadcast: the publish call, per subscriber", "subscribers (S)",
                  "per subscriber", "ns", lambda v: v),
    "counting": ("Throughput against the number of messages sent to one actor",
                 "messages sent (M, in bursts of 5,000)", "M msg/s", "rate", lambda v: 1e3 / v),
    "actors": ("Throughput against the number of active actors (200,000 messages)",
               "active actors (A)", "M msg/s", "rate", lambda v: 1e3 / v),
}


def curves(configs: Sequence[Config], results: dict[str, Results], beam: Results) -> dict[str, tuple[str, str]]:
    """name -> (svg, caption) for every curve with data."""
    out = {}
    styles = ("-o", "-^", "-s", "-D")
    for name, (ours, base, beam_pattern) in registry.CURVES.items():
        title, xlabel, ylabel, unit, transform = CURVE_TEXT[name]
        series: list[Series] = []
        for i, c in enumerate(configs):
            res = results[c.label]
            series.append((f"airsrt ({c.label})", points(res, ours, transform), AIRSRT, styles[i % 4]))
            series.append((f"asyncio baseline ({c.label})", points(res, base, transform), BASELINE,
                           "--" + styles[i % 4][1]))
        if beam_pattern:
            series.append(("Erlang/OTP, BEAM +S 1:1", points(beam, beam_pattern, transform), BEAM, ":o"))
        svg = curve_plot(name, title, xlabel, ylabel, "ns" if unit == "ns" else unit, series)
        if svg:
            out[name] = (svg, title)
    return out


# -- bars ------------------------------------------------------------------------------------------


def bar_plot(name: str, title: str, groups: list[str], series: list[tuple[str, list[float | None], str]],
             ylabel: str, unit: str) -> str | None:
    series = [(label, [v if v and v > 0 else None for v in values], color)
              for label, values, color in series]
    series = [s for s in series if any(s[1])]
    if not series:
        return None
    fig, ax = _figure(title)
    fig.set_size_inches(8.4, 5.0)
    width = 0.8 / len(series)
    for i, (label, values, color) in enumerate(series):
        xs = [g + (i - (len(series) - 1) / 2) * width for g in range(len(groups))]
        ax.bar([x for x, v in zip(xs, values) if v], [v for v in values if v], width,
               label=label, color=color)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(groups, fontsize=8)
    _log_axis(ax, "y", [v for _, vs, _ in series for v in vs if v], unit,
              [[v for v in vs if v] for _, vs, _ in series])
    ax.set_ylabel(ylabel)
    _legend_below(ax, len(series))
    fig.tight_layout()
    return _svg(fig, name)


def savina_bars(config: Config, ours: Results, beam: Results) -> str | None:
    groups, series = [], {"airsrt": [], "baseline": [], "beam1": [], "beamN": []}
    for w, title in sizes.SAVINA_TITLES.items():
        key = f"savina.{w}[airsrt]"
        messages = ours.meta.get(key, {}).get("messages")
        if key not in ours.values or not messages:
            continue
        groups.append(title.replace(" (", "\n("))

        def rate(m: Measure | None) -> float | None:
            return messages / m.median / 1e6 if m is not None else None

        series["airsrt"].append(rate(ours.values.get(key)))
        series["baseline"].append(rate(ours.values.get(f"savina.{w}[asyncio]")))
        series["beam1"].append(rate(beam.values.get(f"beam.savina.{w}[1]")))
        series["beamN"].append(rate(beam.values.get(f"beam.savina.{w}[default]")))
    if not groups:
        return None
    return bar_plot("savina", "Savina workloads: messages handled per second", groups, [
        (f"airsrt ({config.label})", series["airsrt"], AIRSRT),
        (f"asyncio baseline ({config.label})", series["baseline"], BASELINE),
        ("BEAM +S 1:1", series["beam1"], BEAM),
        ("BEAM, default schedulers", series["beamN"], BEAM_MANY),
    ], "M msg/s (log scale)", "rate")


def peer_bars(config: Config, ours: Results, peers: Results, names: Sequence[str]) -> str | None:
    if not names or not peers.values:
        return None
    groups = [label.split(",")[0].split(" (")[0] for _, _, label in registry.PEER_ROWS]
    rows = [registry.row(row_id) for _, row_id, _ in registry.PEER_ROWS]

    def get(res: Results, key: str | None) -> float | None:
        m = res.values.get(key) if key else None
        return m.median if m is not None else None

    series = [
        (f"airsrt ({config.label})", [get(ours, r.ours) for r in rows], AIRSRT),
        (f"asyncio baseline ({config.label})", [get(ours, r.base) for r in rows], BASELINE),
        *((name, [get(peers, f"{bench}[{name}]") for bench, _, _ in registry.PEER_ROWS],
           PEER_COLORS[i % 3]) for i, name in enumerate(names)),
    ]
    return bar_plot("peers", "Python actor libraries: cost per operation", groups, series,
                    "per operation (log scale)", "ns")
