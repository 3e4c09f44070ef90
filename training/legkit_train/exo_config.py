"""Typed configuration of the exoskeleton assistance environments: task, rewards, randomization.

Every field carries its unit. `ExoEnvConfig.from_dict` builds one from plain data (a YAML
or JSON file) and refuses keys it does not know, as `legkit_train.config.EnvConfig` does.

The randomization ranges follow the supplementary material of Luo et al., Nature 630
(2024): exoskeleton mass and inertia, motor strength x[0.8, 1.2], control latency
x[0.5, 1.5], friction x[0.9, 1.6], the wearer's strength varied; plus sensor noise,
sensor latency, an IMU mounting offset and the walking speed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from legkit_train.config import RandomTerm, _updated

TASKS = ("walk", "squat")
"""Motions the wearer can be asked to perform."""


@dataclass
class ExoRewardWeights:
    """Weight of each reward term, per second of simulated time (a zero weight drops it).

    The reward of one policy step is ``sum(weight * term * control_period)``. Effort terms
    are normalized (torques by 50 N m, powers by 50 W) so that the unassisted wearer's
    hip effort is about 1.7 per second.
    """

    alive: float = 5.0
    """1 per second the wearer is upright [-]. Large enough that every step of an ordinary
    episode pays more than its penalties: with a negative step reward, a policy learns to
    end episodes early (measured: episode length fell from ~800 to ~650 steps)."""
    hip_effort: float = -1.0
    """Sum over both hips of the mean squared muscle torque over the step / (50 N m)^2 [-]."""
    hip_positive_work: float = -0.5
    """Sum over both hips of the mean positive muscle power / 50 W [-]."""
    other_effort: float = -0.5
    """Knees and ankles, like `hip_effort`: assistance must not just shift the load there
    [-]. At -0.1, three minutes of PPO had cut hip effort by 24 % and raised this by 55 %;
    at -0.5, by 20 % and 51 %: watch it in long runs."""
    tracking: float = 1.0
    """exp(-|q - q_ref|^2 / 0.01 rad^2) over the six joints of the wearer: keep the motion."""
    balance: float = -1.0
    """Harness help: (forward and vertical force / body weight)^2 + (moment / (body weight x
    0.1 m))^2, mean over the step [-]: keep the wearer balanced on their own."""
    action_rate: float = -1.0
    """Sum of squared changes of the raw action between policy steps, per step [-]."""
    exo_torque: float = -0.05
    """Sum of squared delivered actuator torque / peak torque [-]: no torque for nothing."""


@dataclass
class ExoRandomization:
    """Domain randomization, drawn once per episode (noise once per observation)."""

    exo_mass: RandomTerm = field(default_factory=lambda: RandomTerm(True, 0.8, 1.2))
    """Factor on the mass and inertia of every exoskeleton link [-]; nominal 1."""
    motor_strength: RandomTerm = field(default_factory=lambda: RandomTerm(True, 0.8, 1.2))
    """Factor on each actuator's torque, drawn per actuator [-]; nominal 1."""
    control_latency: RandomTerm = field(default_factory=lambda: RandomTerm(True, 0.5, 1.5))
    """Factor on `nominal_latency_s` before a policy action reaches the actuators [-]."""
    friction: RandomTerm = field(default_factory=lambda: RandomTerm(True, 0.9, 1.6))
    """Factor on the ground friction and on the actuators' back-drive friction [-]."""
    human_strength: RandomTerm = field(default_factory=lambda: RandomTerm(True, 0.8, 1.2))
    """Factor on the wearer's muscle torque bounds [-]."""
    human_stiffness: RandomTerm = field(default_factory=lambda: RandomTerm(True, 0.8, 1.2))
    """Factor on the wearer's tracking and balance gains [-]."""
    walking_speed: RandomTerm = field(default_factory=lambda: RandomTerm(True, 0.8, 1.1))
    """Treadmill speed [m/s] (walk task; stride from `legkit.wearer.gait.stride_for_speed`),
    nominal 1.0, rounded to 0.05 m/s so a few gaits serve every episode."""
    squat_tempo: RandomTerm = field(default_factory=lambda: RandomTerm(True, 0.8, 1.25))
    """Factor on the squat cycle's duration [-] (squat task), nominal 1, rounded to 0.05."""
    imu_noise: RandomTerm = field(default_factory=lambda: RandomTerm(True, 1.0, 1.0))
    """Factor on the IMU noise levels of `legkit_train.exo_randomization` [-]; nominal 0."""
    imu_offset: RandomTerm = field(default_factory=lambda: RandomTerm(True, -0.03, 0.03))
    """Mounting error of each thigh IMU [rad], drawn per side; nominal 0."""
    observation_latency: RandomTerm = field(default_factory=lambda: RandomTerm(True, 0.0, 0.01))
    """Age of the IMU data in an observation [s], rounded to physics steps; nominal 0."""
    nominal_latency_s: float = 0.01
    """Policy-to-actuator latency the `control_latency` factor scales [s] (bus and driver)."""

    @classmethod
    def none(cls) -> ExoRandomization:
        """Every term disabled: the nominal wearer and device."""
        off = cls()
        for f in dataclasses.fields(off):
            term = getattr(off, f.name)
            if isinstance(term, RandomTerm):
                term.enabled = False
        return off


@dataclass
class ExoEnvConfig:
    """Everything that defines one assistance environment."""

    task: str = "walk"
    """What the wearer does: one of `TASKS`."""
    knee_actuators: bool = False
    """Use the ``exoskeleton_knee`` device (hip and knee actuators) instead of hips only."""
    rewards: ExoRewardWeights = field(default_factory=ExoRewardWeights)
    """Reward term weights [per s]."""
    randomization: ExoRandomization = field(default_factory=ExoRandomization)
    """Domain randomization."""
    episode_length_s: float = 8.0
    """Episodes are truncated after this much simulated time [s] (7-8 strides)."""
    random_start: bool = True
    """Start each episode at a random point of the motion's cycle (else at its start)."""
    ramp_in: bool = False
    """Ramp assistance in over the first seconds of an episode, as the device does when
    switched on. Off in training: an episode starts mid-stride with assistance on."""
    max_height_error: float = 0.15
    """The episode ends when the hips sag this far below the reference [m]."""
    max_lean_error: float = 0.5
    """... or the trunk leans this far from the reference [rad]."""

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {self.task!r}")
        for name in ("episode_length_s", "max_height_error", "max_lean_error"):
            if not getattr(self, name) > 0.0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExoEnvConfig:
        """Build from nested plain data; ValueError naming the first unknown or bad key."""
        data = dict(data)
        task = data.pop("task", cls.task)
        if not isinstance(task, str):
            raise ValueError(f"config key 'task': expected one of {TASKS}, got {task!r}")
        return _updated(cls(task=task), data, "")
