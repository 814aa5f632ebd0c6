"""How the report decides whether a difference is real: the noise rule.

Every measurement keeps its samples (pyperf's values, or one number per repetition). Its noise is
the robust spread of those samples, 1.4826 x the median absolute deviation (the standard deviation
for normally distributed samples, but blind to the odd outlier a shared machine produces). A few
samples say little about their spread, so below `FEW` samples the noise is at least half their
range (an outlier then widens the band instead of being ignored), and with fewer than three there
is no spread to measure: the noise is taken as `SINGLE_SAMPLE_NOISE` of the median.

A difference of two measurements (a - b) is printed as a figure only when it is positive and
larger than its noise band, ``2 * sqrt(noise_a**2 + noise_b**2)``; otherwise the report prints
"within noise" with the band. A ratio of two measurements is held to the same rule on the relative
scale: airsrt is "ahead" or "behind" only when the ratio is further from 1 than the relative band.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

# Relative noise assumed for a measurement with fewer than three samples.
SINGLE_SAMPLE_NOISE = 0.10
# Below this many samples the noise is at least half the samples' range.
FEW = 10


@dataclass(frozen=True)
class Measure:
    """One measured quantity: its samples (same unit as the median), lower or higher is better."""

    samples: tuple[float, ...]

    @classmethod
    def of(cls, value: float | Sequence[float]) -> Measure:
        if isinstance(value, int | float):
            return cls((float(value),))
        if not value:
            raise ValueError("a measurement needs at least one sample")
        return cls(tuple(float(v) for v in value))

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def noise(self) -> float:
        """Robust spread of one sample (absolute, same unit)."""
        if len(self.samples) < 3:
            return abs(self.median) * SINGLE_SAMPLE_NOISE
        mid = self.median
        spread = 1.4826 * statistics.median(abs(s - mid) for s in self.samples)
        if len(self.samples) < FEW:
            spread = max(spread, (max(self.samples) - min(self.samples)) / 2)
        return spread

    @property
    def relative_noise(self) -> float:
        mid = self.median
        return self.noise / abs(mid) if mid else math.inf

    def scaled(self, factor: float) -> Measure:
        return Measure(tuple(s * factor for s in self.samples))


@dataclass(frozen=True)
class Difference:
    """a - b with its noise band; `real` says whether it may be printed as a figure."""

    value: float
    band: float

    @property
    def real(self) -> bool:
        return self.value > 0 and self.value > self.band


def difference(a: Measure, b: Measure) -> Difference:
    return Difference(a.median - b.median, 2 * math.hypot(a.noise, b.noise))


@dataclass(frozen=True)
class Ratio:
    """theirs / ours for two costs: above 1, ours is ahead. `band` is relative (0.1 = ±10%)."""

    value: float
    band: float

    @property
    def verdict(self) -> str:
        """"ahead", "behind" or "within noise"."""
        if abs(math.log(self.value)) <= math.log1p(self.band):
            return "within noise"
        return "ahead" if self.value > 1 else "behind"

    def describe(self) -> str:
        """What a table cell prints: "15.1× ahead", "2.3× behind", "within noise (±8%)"."""
        verdict = self.verdict
        if verdict == "within noise":
            return f"within noise (±{self.band * 100:.0f}%)"
        factor = self.value if self.value > 1 else 1 / self.value
        return f"{factor:.1f}× {verdict}" if factor < 100 else f"{factor:.0f}× {verdict}"


def ratio(ours: Measure, theirs: Measure) -> Ratio | None:
    """How many times `theirs` costs what `ours` does, with its relative noise band."""
    if ours.median <= 0 or theirs.median <= 0:
        return None
    band = 2 * math.hypot(ours.relative_noise, theirs.relative_noise)
    return Ratio(theirs.median / ours.median, band)
