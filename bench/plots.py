"""PNG plots of the scaling curves (``python -m bench --plot``; needs the ``plots`` extra).

One figure per curve, log-log, airsrt and the asyncio baseline on every loop measured, so the
shape (flat per actor, flat per subscriber, falling throughput) is visible at a glance.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

TITLES = {
    "spawn": ("Spawn cost vs number of actors spawned together", "actors spawned (N)"),
    "broadcast": ("Broadcast cost vs number of subscribers", "subscribers (S)"),
    "throughput": ("Throughput vs number of active actors", "active actors (A)"),
}


def available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def plot(scaling: dict[str, dict[str, Any]], out_dir: Path) -> list[Path]:
    """Writes one PNG per curve from {loop: scaling.py output}; returns the files written."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display needed on a server
    import matplotlib.pyplot as plt

    written = []
    for curve, (title, xlabel) in TITLES.items():
        fig, ax = plt.subplots(figsize=(7, 4.5))
        unit = ""
        for kind, result in scaling.items():
            data = result["curves"][curve]
            unit = data["unit"]
            for impl, name, style in (("airsrt", "airsrt", "-o"),
                                      ("asyncio", "Queue+Task baseline", "--s")):
                points = data["points"][impl]
                if points:
                    xs, ys = zip(*points)
                    ax.plot(xs, ys, style, label=f"{name} on {kind}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(title)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(unit)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
        fig.tight_layout()
        path = out_dir / f"scaling-{curve}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written
