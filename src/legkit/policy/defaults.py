"""The contract each robot's policies are trained with, from its robot profile.

`contract_for_profile` takes joints, pose, gains and rates from a profile; what it cannot
know is how a robot's policies observe and act. That is decided here, once per robot, so
that training, export and deployment agree:

- **quadruped**: `contract_for_profile`'s defaults (45-element frame, PD position targets
  0.25 rad per unit action);
- **exoskeleton** (and ``exoskeleton_knee``): thigh angles, thigh rates and the last
  action, three frames (18 inputs for the hip device); actions are normalized assistance
  torques, clipped to [-1, 1] and scaled by the actuator's peak torque (the profile's
  ``actuation`` is ``"torque"``, its kp and kd are 0).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from legkit.policy.contract import PolicyContract, contract_for_profile
from legkit.robots import exoskeleton
from legkit.robots.profile import RobotProfile

_ASSISTANCE: dict[str, Any] = {
    "observation_terms": exoskeleton.OBSERVATION_TERMS,
    "history_length": exoskeleton.HISTORY_LENGTH,
    "action_scale": exoskeleton.TORQUE_SCALE,
    "action_clip": 1.0,
}

POLICY_SETTINGS: dict[str, dict[str, Any]] = {
    "quadruped": {},
    "exoskeleton": _ASSISTANCE,
    "exoskeleton_knee": _ASSISTANCE,
}
"""`contract_for_profile` keyword arguments per robot profile name."""


def training_contract(
    profile: RobotProfile,
    provenance: Mapping[str, str] | None = None,
    history_length: int | None = None,
) -> PolicyContract:
    """The contract `profile`'s policies are trained (and exported) with.

    `history_length` replaces the robot's usual number of stacked observation frames
    (a training run's choice, recorded in its checkpoint).
    """
    try:
        settings = dict(POLICY_SETTINGS[profile.name])
    except KeyError:
        raise ValueError(
            f"no policy settings for robot '{profile.name}'; known: {sorted(POLICY_SETTINGS)}"
        ) from None
    if history_length is not None:
        settings["history_length"] = history_length
    return contract_for_profile(profile, provenance=provenance, **settings)
