"""Run metrics: tracking error, fall detection and fall counting."""

import math

import numpy as np
import pytest

from legkit.metrics import count_falls, is_fallen, rmse
from legkit.robots import QUADRUPED

LEVEL = np.array([0.0, 0.0, 0.0, 1.0])


def test_rmse():
    assert rmse([1.0, 1.0], [0.0, 2.0]) == pytest.approx(1.0)
    assert math.isnan(rmse([], []))


@pytest.mark.parametrize(
    ("height", "quat", "fallen"),
    [
        (0.30, LEVEL, False),
        (0.10, LEVEL, True),  # below the profile's fall height
        (0.30, np.array([math.sin(0.6), 0, 0, math.cos(0.6)]), True),  # rolled 1.2 rad
    ],
)
def test_is_fallen_uses_the_profile_thresholds(height, quat, fallen):
    assert is_fallen(QUADRUPED, height, quat) is fallen


@pytest.mark.parametrize(
    ("series", "falls"),
    [([0, 0, 0], 0), ([0, 1, 1, 0, 1], 2), ([1, 1, 0], 1), ([], 0)],
)
def test_count_falls_counts_upright_to_fallen_transitions(series, falls):
    assert count_falls(np.array(series, dtype=bool)) == falls
