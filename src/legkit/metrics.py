"""Run metrics shared by the bringup summary, the benchmark and policy evaluation."""

from __future__ import annotations

import numpy as np

from legkit.robots.profile import RobotProfile
from legkit.rotations import tilt


def rmse(commanded: np.ndarray, achieved: np.ndarray) -> float:
    """Root-mean-square tracking error; NaN for no samples."""
    commanded, achieved = np.asarray(commanded, float), np.asarray(achieved, float)
    if commanded.size == 0:
        return float("nan")
    return float(np.sqrt(np.mean((commanded - achieved) ** 2)))


def is_fallen(profile: RobotProfile, base_height: float, base_orientation: np.ndarray) -> bool:
    """Base too low or too tilted to count as standing, by the profile's thresholds."""
    return base_height < profile.fall_height or tilt(base_orientation) > profile.fall_tilt


def count_falls(fallen: np.ndarray) -> int:
    """Number of upright -> fallen transitions in a boolean time series."""
    fallen = np.asarray(fallen, dtype=bool)
    if fallen.size == 0:
        return 0
    return int(fallen[0]) + int(np.count_nonzero(fallen[1:] & ~fallen[:-1]))
