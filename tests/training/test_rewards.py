"""Reward terms and their weights."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from legkit_train.config import RewardWeights
from legkit_train.rewards import (
    REWARD_TERMS,
    StepData,
    ang_vel_tracking,
    base_height,
    feet_air_time,
    joint_limits,
    lin_vel_tracking,
    validate_weights,
)


def step_data(**overrides: object) -> StepData:
    """A robot standing still, exactly as commanded; override what a test varies."""
    n, feet = 12, 4
    values: dict[str, object] = dict(
        command=np.zeros(3),
        base_lin_vel=np.zeros(3),
        base_ang_vel=np.zeros(3),
        projected_gravity=np.array([0.0, 0.0, -1.0]),
        joint_pos=np.zeros(n),
        joint_vel=np.zeros(n),
        prev_joint_vel=np.zeros(n),
        torques=np.zeros(n),
        action=np.zeros(n),
        last_action=np.zeros(n),
        soft_lower=np.full(n, -1.0),
        soft_upper=np.full(n, 1.0),
        first_contact=np.zeros(feet, dtype=bool),
        air_time=np.zeros(feet),
        collision=False,
        fell=False,
        base_height=0.30,
        base_height_target=0.30,
        dt=0.02,
        tracking_sigma=0.25,
    )
    values.update(overrides)
    return StepData(**values)  # type: ignore[arg-type]


def test_every_weight_field_has_a_term_of_the_same_name() -> None:
    assert {f.name for f in dataclasses.fields(RewardWeights)} == set(REWARD_TERMS)


def test_validate_weights_rejects_a_non_zero_weight_without_a_term() -> None:
    with pytest.raises(ValueError, match="without a term: foot_slip"):
        validate_weights({"lin_vel_tracking": 1.0, "foot_slip": -0.5})


def test_validate_weights_drops_zero_weights_even_without_a_term() -> None:
    active = validate_weights({"lin_vel_tracking": 1.0, "torques": 0.0, "foot_slip": 0.0})
    assert active == {"lin_vel_tracking": 1.0}


def test_tracking_pays_one_when_perfect_and_e_to_minus_one_half_a_metre_per_second_off() -> None:
    assert lin_vel_tracking(step_data()) == 1.0
    off = step_data(command=np.array([0.5, 0.0, 0.0]))
    assert lin_vel_tracking(off) == pytest.approx(math.exp(-1.0))


def test_a_narrower_tracking_kernel_pays_less_for_the_same_error() -> None:
    slow = dict(command=np.array([0.5, 0.0, 0.5]), base_lin_vel=np.array([0.3, 0.0, 0.0]))
    slow_yaw = dict(base_ang_vel=np.array([0.0, 0.0, 0.3]))
    wide, narrow = step_data(**slow, **slow_yaw), step_data(**slow, **slow_yaw, tracking_sigma=0.1)
    assert lin_vel_tracking(narrow) == pytest.approx(math.exp(-0.04 / 0.1))
    assert lin_vel_tracking(narrow) < lin_vel_tracking(wide)
    assert ang_vel_tracking(narrow) < ang_vel_tracking(wide)


def test_air_time_pays_at_touchdown_only_while_moving_is_commanded() -> None:
    landing = dict(first_contact=np.array([True, False, False, False]), air_time=np.full(4, 0.7))
    assert feet_air_time(step_data(command=np.array([0.5, 0.0, 0.0]), **landing)) == (
        pytest.approx(0.2)
    )
    assert feet_air_time(step_data(**landing)) == 0.0


def test_joint_limit_term_measures_the_distance_beyond_the_soft_range() -> None:
    pos = np.zeros(12)
    pos[0], pos[1] = 1.25, -1.5
    assert joint_limits(step_data(joint_pos=pos)) == pytest.approx(0.75)


def test_a_still_robot_doing_what_it_is_told_costs_nothing() -> None:
    penalties = [name for name, w in dataclasses.asdict(RewardWeights()).items() if w < 0]
    assert all(REWARD_TERMS[name](step_data()) == 0.0 for name in penalties)


def test_base_height_costs_the_squared_distance_from_the_standing_height() -> None:
    assert base_height(step_data(base_height=0.20)) == pytest.approx(0.01)
    assert base_height(step_data(base_height=0.35)) == pytest.approx(0.0025)
