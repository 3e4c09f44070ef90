"""Reward terms of the assistance task: one small function per behaviour, and a registry.

Each term maps an `AssistStepData` (what happened during one policy step, averaged over
its physics steps) to an unweighted number; the environment multiplies it by its weight
from `ExoRewardWeights` and by the control period. The aim, after Luo et al. (Nature
2024): less muscle torque and positive muscle work at the hips, the same motion, the
wearer's balance their own, smooth torque.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from legkit_train.exo_config import ExoRewardWeights

TORQUE_SCALE = 50.0
"""Muscle torque that counts as 1 in the effort terms [N m]."""
POWER_SCALE = 50.0
"""Muscle power that counts as 1 in the work term [W]."""
TRACKING_SIGMA2 = 0.01
"""Width of the tracking kernel [rad^2]: an error of 0.1 rad on one joint costs a factor e."""
MOMENT_ARM = 0.1
"""Lever that turns a harness moment into a comparable force [m]."""


@dataclass
class AssistStepData:
    """One policy step of the wearer and the device; means over its physics steps."""

    hip_torque_sq: np.ndarray
    """(2,) mean squared muscle torque of the left / right hip [N^2 m^2]."""
    hip_positive_power: np.ndarray
    """(2,) mean positive muscle power of each hip [W]."""
    other_torque_sq: np.ndarray
    """(4,) mean squared muscle torque of the knees and ankles [N^2 m^2]."""
    tracking_error: np.ndarray
    """(6,) joint angle minus reference at the end of the step [rad]."""
    harness: np.ndarray
    """(3,) mean squared harness force forward, up [N^2] and moment [N^2 m^2]."""
    body_weight: float
    """Weight of the wearer and device [N]."""
    action: np.ndarray
    """(n,) raw action of this step [-]."""
    last_action: np.ndarray
    """(n,) raw action of the previous step [-]."""
    exo_torque_sq: np.ndarray
    """(n,) mean squared delivered actuator torque [N^2 m^2]."""
    torque_scale: float
    """Peak actuator torque [N m]."""


RewardTerm = Callable[[AssistStepData], float]
REWARD_TERMS: dict[str, RewardTerm] = {}
"""Every assistance reward term by name; names match `ExoRewardWeights` fields."""


def reward_term(fn: RewardTerm) -> RewardTerm:
    """Register `fn` under its own name."""
    REWARD_TERMS[fn.__name__] = fn
    return fn


@reward_term
def alive(d: AssistStepData) -> float:
    return 1.0


@reward_term
def hip_effort(d: AssistStepData) -> float:
    return float(d.hip_torque_sq.sum()) / TORQUE_SCALE**2


@reward_term
def hip_positive_work(d: AssistStepData) -> float:
    return float(d.hip_positive_power.sum()) / POWER_SCALE


@reward_term
def other_effort(d: AssistStepData) -> float:
    return float(d.other_torque_sq.sum()) / TORQUE_SCALE**2


@reward_term
def tracking(d: AssistStepData) -> float:
    return float(np.exp(-np.dot(d.tracking_error, d.tracking_error) / TRACKING_SIGMA2))


@reward_term
def balance(d: AssistStepData) -> float:
    forces = (d.harness[0] + d.harness[1]) / d.body_weight**2
    return float(forces + d.harness[2] / (d.body_weight * MOMENT_ARM) ** 2)


@reward_term
def action_rate(d: AssistStepData) -> float:
    change = d.action - d.last_action
    return float(np.dot(change, change))


@reward_term
def exo_torque(d: AssistStepData) -> float:
    return float(d.exo_torque_sq.sum()) / d.torque_scale**2


def validate_weights(weights: ExoRewardWeights | Mapping[str, float]) -> dict[str, float]:
    """The active terms and their weights; ValueError naming any weight without a term."""
    if isinstance(weights, ExoRewardWeights):
        weights = dataclasses.asdict(weights)
    active = {name: float(w) for name, w in weights.items() if float(w) != 0.0}
    missing = sorted(set(active) - set(REWARD_TERMS))
    if missing:
        raise ValueError(
            f"reward weights without a term: {', '.join(missing)}; "
            f"known terms: {', '.join(REWARD_TERMS)}"
        )
    return active
