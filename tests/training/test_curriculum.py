"""The command curriculum widens the ranges only after good tracking."""

from __future__ import annotations

import pytest

from legkit_train.config import CommandRanges, Curriculum
from legkit_train.curriculum import CommandCurriculum

FULL = CommandRanges(vx=(-1.0, 2.0), vy=(-0.5, 0.5), yaw_rate=(-1.0, 1.0))


def test_starts_at_the_initial_fraction_of_the_full_ranges() -> None:
    c = CommandCurriculum(Curriculum(initial_level=0.5), FULL)
    assert c.ranges() == ((-0.5, 1.0), (-0.25, 0.25), (-0.5, 0.5))


def test_widens_by_one_step_only_above_the_threshold_and_stops_at_the_full_ranges() -> None:
    c = CommandCurriculum(Curriculum(initial_level=0.8, tracking_threshold=0.7, step=0.1), FULL)
    assert not c.update(0.7)
    assert c.update(0.75) and c.level == pytest.approx(0.9)
    assert c.update(0.9) and c.level == 1.0
    assert not c.update(0.99) and c.ranges() == (FULL.vx, FULL.vy, FULL.yaw_rate)


def test_disabled_uses_the_full_ranges_from_the_start() -> None:
    c = CommandCurriculum(Curriculum(enabled=False), FULL)
    assert c.ranges() == (FULL.vx, FULL.vy, FULL.yaw_rate)
    assert not c.update(1.0)
