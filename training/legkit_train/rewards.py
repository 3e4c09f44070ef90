"""Reward terms: one small function per behaviour, a registry, and weight validation.

Each term maps a `StepData` (what happened during one policy step) to an unweighted
number; the environment multiplies it by its weight from `RewardWeights` and by the
control period. A term is registered under the name of its `RewardWeights` field.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from legkit_train.config import RewardWeights

SOFT_LIMIT_FRACTION = 0.9
"""Joints are penalised beyond this fraction of their range, centred on its middle."""
AIR_TIME_TARGET = 0.5
"""Swing duration the air-time term rewards beyond [s]; shorter steps are penalised."""
MIN_COMMAND_SPEED = 0.1
"""Below this commanded horizontal speed [m/s] stepping is not rewarded (stand still)."""


@dataclass
class StepData:
    """The state after one policy step and what led to it; SI units, body frame, profile order."""

    command: np.ndarray
    """(3,) commanded vx, vy [m/s], yaw rate [rad/s]."""
    base_lin_vel: np.ndarray
    """(3,) base linear velocity, body frame [m/s]."""
    base_ang_vel: np.ndarray
    """(3,) base angular velocity, body frame [rad/s]."""
    projected_gravity: np.ndarray
    """(3,) gravity unit vector in the body frame [-]."""
    joint_pos: np.ndarray
    """(n,) joint positions [rad]."""
    joint_vel: np.ndarray
    """(n,) joint velocities [rad/s]."""
    prev_joint_vel: np.ndarray
    """(n,) joint velocities one policy step earlier [rad/s]."""
    torques: np.ndarray
    """(n,) torques applied in the last physics step [N m]."""
    action: np.ndarray
    """(n,) raw action of this step [-]."""
    last_action: np.ndarray
    """(n,) raw action of the previous step [-]."""
    soft_lower: np.ndarray
    """(n,) lower end of the penalty-free joint range [rad]."""
    soft_upper: np.ndarray
    """(n,) upper end of the penalty-free joint range [rad]."""
    first_contact: np.ndarray
    """(feet,) True for feet that touched down during this step."""
    air_time: np.ndarray
    """(feet,) time each foot had been in the air, counted up to this step [s]."""
    collision: bool
    """A link other than a foot touches the ground."""
    fell: bool
    """The episode ends at this step in a failure state: the contact
    `EnvConfig.termination_contact` names, or too much tilt."""
    base_height: float
    """Height of the base above the ground (flat ground: its z) [m]."""
    base_height_target: float
    """Height the base should keep: the profile's nominal standing height [m]."""
    dt: float
    """Policy step [s]."""
    tracking_sigma: float
    """Width of the tracking kernels exp(-err^2 / sigma) [(m/s)^2 or (rad/s)^2]."""


RewardTerm = Callable[[StepData], float]

REWARD_TERMS: dict[str, RewardTerm] = {}
"""Every known term by name; names match `RewardWeights` fields."""


def reward_term(fn: RewardTerm) -> RewardTerm:
    """Register `fn` under its own name."""
    REWARD_TERMS[fn.__name__] = fn
    return fn


@reward_term
def lin_vel_tracking(d: StepData) -> float:
    err = d.command[:2] - d.base_lin_vel[:2]
    return float(np.exp(-np.dot(err, err) / d.tracking_sigma))


@reward_term
def ang_vel_tracking(d: StepData) -> float:
    err = d.command[2] - d.base_ang_vel[2]
    return float(np.exp(-err * err / d.tracking_sigma))


@reward_term
def lin_vel_z(d: StepData) -> float:
    return float(d.base_lin_vel[2] ** 2)


@reward_term
def ang_vel_xy(d: StepData) -> float:
    return float(np.dot(d.base_ang_vel[:2], d.base_ang_vel[:2]))


@reward_term
def orientation(d: StepData) -> float:
    return float(np.dot(d.projected_gravity[:2], d.projected_gravity[:2]))


@reward_term
def base_height(d: StepData) -> float:
    return (d.base_height - d.base_height_target) ** 2


@reward_term
def torques(d: StepData) -> float:
    return float(np.dot(d.torques, d.torques))


@reward_term
def joint_acc(d: StepData) -> float:
    acc = (d.joint_vel - d.prev_joint_vel) / d.dt
    return float(np.dot(acc, acc))


@reward_term
def action_rate(d: StepData) -> float:
    change = d.action - d.last_action
    return float(np.dot(change, change))


@reward_term
def feet_air_time(d: StepData) -> float:
    # Paid at touchdown, so long swings are rewarded once they end in a step; without a
    # motion command there is nothing to step for and standing still must not cost.
    if np.hypot(d.command[0], d.command[1]) < MIN_COMMAND_SPEED:
        return 0.0
    return float(np.sum((d.air_time - AIR_TIME_TARGET) * d.first_contact))


@reward_term
def collision(d: StepData) -> float:
    return float(d.collision)


@reward_term
def termination(d: StepData) -> float:
    return float(d.fell)


AFTER_CLIP_TERMS = frozenset({"termination"})
"""Terms added to a step's reward after the positive clip (`EnvConfig.only_positive_rewards`)."""


@reward_term
def joint_limits(d: StepData) -> float:
    below = np.maximum(d.soft_lower - d.joint_pos, 0.0)
    above = np.maximum(d.joint_pos - d.soft_upper, 0.0)
    return float(np.sum(below + above))


def validate_weights(weights: RewardWeights | Mapping[str, float]) -> dict[str, float]:
    """The active terms and their weights: non-zero weights only, each with a known term.

    ValueError naming every weight that is non-zero but has no term, so a misspelt or
    unimplemented term fails at start-up instead of silently never paying out.
    """
    if isinstance(weights, RewardWeights):
        weights = dataclasses.asdict(weights)
    active = {name: float(w) for name, w in weights.items() if float(w) != 0.0}
    missing = sorted(set(active) - set(REWARD_TERMS))
    if missing:
        raise ValueError(
            f"reward weights without a term: {', '.join(missing)}; "
            f"known terms: {', '.join(REWARD_TERMS)}"
        )
    return active


def soft_joint_limits(lower: np.ndarray, upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The penalty-free range: `SOFT_LIMIT_FRACTION` of [lower, upper] about its middle."""
    middle, half = (lower + upper) / 2.0, (upper - lower) / 2.0 * SOFT_LIMIT_FRACTION
    return middle - half, middle + half
