"""Loop-period and latency statistics, ROS-agnostic.

Nodes feed these from their callbacks and publish the summaries on /diagnostics;
the bringup and the benchmark read them back. Samples live in fixed-size ring
buffers so a long run costs no growing memory.
"""

from __future__ import annotations

import numpy as np


class _Ring:
    def __init__(self, capacity: int) -> None:
        self._data = np.zeros(capacity)
        self._n = 0

    def add(self, value: float) -> None:
        self._data[self._n % len(self._data)] = value
        self._n += 1

    @property
    def count(self) -> int:
        return self._n

    def values(self) -> np.ndarray:
        return self._data[: min(self._n, len(self._data))]


class RateMonitor:
    """Statistics of a periodic loop, measured from the times at which it ran."""

    def __init__(self, nominal_period: float, capacity: int = 20000, miss_factor: float = 1.5):
        """`miss_factor`: a period above this many nominal periods is a missed deadline."""
        if nominal_period <= 0.0:
            raise ValueError("nominal_period must be positive")
        self.nominal_period = nominal_period
        self.miss_factor = miss_factor
        self._periods = _Ring(capacity)
        self._last: float | None = None
        self.missed = 0

    def tick(self, t: float) -> None:
        """Record that the loop ran at time `t` [s] (a monotonic clock)."""
        if self._last is not None:
            period = t - self._last
            self._periods.add(period)
            if period > self.miss_factor * self.nominal_period:
                self.missed += 1
        self._last = t

    def summary(self) -> dict[str, float]:
        periods = self._periods.values()
        if len(periods) == 0:
            return {"rate_hz": 0.0, "cycles": 0.0}
        err = np.abs(periods - self.nominal_period)
        mean = float(periods.mean())
        return {
            "rate_hz": 1.0 / mean if mean > 0 else 0.0,
            "cycles": float(self._periods.count),
            "period_mean_ms": mean * 1e3,
            "period_error_mean_ms": float(err.mean()) * 1e3,
            "period_error_p99_ms": float(np.percentile(err, 99)) * 1e3,
            "missed_deadlines": float(self.missed),
        }


class LatencyMonitor:
    """p50/p99 of a latency measured in seconds."""

    def __init__(self, capacity: int = 20000) -> None:
        self._samples = _Ring(capacity)

    def add(self, seconds: float) -> None:
        self._samples.add(seconds)

    def summary(self, prefix: str = "latency") -> dict[str, float]:
        v = self._samples.values()
        if len(v) == 0:
            return {f"{prefix}_samples": 0.0}
        return {
            f"{prefix}_samples": float(self._samples.count),
            f"{prefix}_p50_ms": float(np.percentile(v, 50)) * 1e3,
            f"{prefix}_p99_ms": float(np.percentile(v, 99)) * 1e3,
            f"{prefix}_max_ms": float(v.max()) * 1e3,
        }
