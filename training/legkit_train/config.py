"""Typed configuration of the walking environment: commands, rewards, randomization, curriculum.

Every field carries its unit. `EnvConfig.from_dict` builds a configuration from plain data
(a YAML or JSON file), refusing keys it does not know so that a misspelt setting fails at
start-up instead of silently keeping its default.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

Interval = tuple[float, float]
"""A closed interval (low, high), low <= high."""


def _check_interval(name: str, interval: Interval) -> None:
    low, high = interval
    if not (math.isfinite(low) and math.isfinite(high) and low <= high):
        raise ValueError(f"{name}: expected finite (low, high) with low <= high, got {interval}")


@dataclass
class CommandRanges:
    """Widest velocity commands the policy is trained to follow (the curriculum's end point)."""

    vx: Interval = (-1.0, 1.0)
    """Forward velocity command range [m/s]."""
    vy: Interval = (-0.5, 0.5)
    """Lateral velocity command range [m/s]."""
    yaw_rate: Interval = (-1.0, 1.0)
    """Yaw rate command range [rad/s]."""
    resample_period_s: float = 5.0
    """A new command is drawn this often within an episode [s]."""
    still_fraction: float = 0.1
    """Share of drawn commands that are exactly zero. Uniform draws almost never ask the
    robot to stand still, and the falls of the first shipped policy came at stops."""
    reversal_fraction: float = 0.0
    """Share of resampled commands that reverse the one before (the same speeds, opposite
    signs). Uniform draws seldom reverse a fast command outright, and every fall of the
    iteration-7,600 policy came at such a reversal."""
    full_speed_fraction: float = 0.0
    """Share of drawn (not still, not reversed) commands whose forward velocity is the end
    of its current range, forwards or backwards as drawn. Every fall of the
    iteration-10,550 policy came at a stop or reversal after a full-speed command, which
    uniform draws seldom ask for."""

    def __post_init__(self) -> None:
        for name in ("vx", "vy", "yaw_rate"):
            _check_interval(f"commands.{name}", getattr(self, name))
        for name in ("still_fraction", "reversal_fraction", "full_speed_fraction"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"commands.{name} must be in [0, 1], got {value}")
        if not self.resample_period_s > 0.0:
            raise ValueError(
                f"commands.resample_period_s must be > 0, got {self.resample_period_s}"
            )


@dataclass
class RewardWeights:
    """Weight of each reward term, per second of simulated time.

    The reward of one policy step is ``sum(weight * term * control_period)``, so the
    weights do not change meaning with the control rate. A zero weight drops the term.
    Values follow legged_gym's quadruped defaults.
    """

    lin_vel_tracking: float = 1.0
    """exp(-|v_xy command - v_xy|^2 / 0.25), body frame [-]."""
    ang_vel_tracking: float = 0.5
    """exp(-(yaw rate command - yaw rate)^2 / 0.25) [-]."""
    lin_vel_z: float = -2.0
    """Vertical base velocity squared [(m/s)^2]."""
    ang_vel_xy: float = -0.05
    """Roll and pitch rate squared [(rad/s)^2]."""
    orientation: float = -0.5
    """Horizontal part of the projected gravity squared (base tilt) [-]."""
    base_height: float = -20.0
    """Squared distance of the base from its nominal standing height [m^2]. Not in
    legged_gym's flat defaults; added because without it the policy learnt to walk
    crouched 7-11 cm low, where thighs and hips catch the ground (measured)."""
    torques: float = -1e-4
    """Sum of squared joint torques [(N m)^2]."""
    joint_acc: float = -2.5e-7
    """Sum of squared joint accelerations over the policy step [(rad/s^2)^2]."""
    action_rate: float = -0.01
    """Sum of squared changes of the raw action between policy steps [-]."""
    feet_air_time: float = 1.0
    """At each touchdown, the foot's air time minus 0.5 s, while a motion is commanded [s]."""
    collision: float = -1.0
    """1 when a link other than a foot touches the ground [-]."""
    joint_limits: float = -10.0
    """How far joints are beyond 90 % of their range [rad]."""
    termination: float = 0.0
    """1 on the step an episode ends in a fall (a non-foot contact or too much tilt) [-].
    Added after `EnvConfig.only_positive_rewards` clips the step's total, as legged_gym
    does, or the clip would cancel it; a weight of -200 costs a fall 4 (at 50 Hz), about
    two seconds of perfect tracking. Off by default: not among legged_gym's quadruped
    defaults."""


@dataclass
class RandomTerm:
    """One randomized quantity: drawn uniformly from [low, high] per episode when enabled.

    A disabled term takes its nominal value (see the field that uses it).
    """

    enabled: bool = True
    """Whether the term is randomized."""
    low: float = 0.0
    """Lower end of the range (unit of the quantity)."""
    high: float = 0.0
    """Upper end of the range (unit of the quantity)."""

    def __post_init__(self) -> None:
        _check_interval("random term", (self.low, self.high))


@dataclass
class Pushes:
    """Random shoves of the base: a sudden horizontal velocity change."""

    enabled: bool = True
    """Whether the base is pushed."""
    interval_s: float = 15.0
    """Time between pushes [s]."""
    max_velocity: float = 1.0
    """Each horizontal velocity component changes by up to this much [m/s]."""

    def __post_init__(self) -> None:
        if not self.interval_s > 0.0 or not self.max_velocity >= 0.0:
            raise ValueError(
                f"pushes: interval_s must be > 0 and max_velocity >= 0, got {self.interval_s}, "
                f"{self.max_velocity}"
            )


@dataclass
class Randomization:
    """Domain randomization, drawn once per episode (the noise once per observation)."""

    ground_friction: RandomTerm = field(default_factory=lambda: RandomTerm(True, 0.5, 1.25))
    """Ground friction coefficient [-]; nominal 1.0."""
    added_base_mass: RandomTerm = field(default_factory=lambda: RandomTerm(True, -1.0, 2.0))
    """Mass added to the base [kg]; nominal 0."""
    base_com_offset: RandomTerm = field(default_factory=lambda: RandomTerm(True, -0.02, 0.02))
    """Shift of the base centre of mass, drawn per axis [m]; nominal 0."""
    motor_strength: RandomTerm = field(default_factory=lambda: RandomTerm(True, 0.9, 1.1))
    """Factor on every commanded torque, drawn per joint [-]; nominal 1."""
    pd_gain_scale: RandomTerm = field(default_factory=lambda: RandomTerm(True, 0.9, 1.1))
    """Factor on the profile's kp and on its kd, drawn separately [-]; nominal 1."""
    observation_latency: RandomTerm = field(default_factory=lambda: RandomTerm(True, 0.0, 0.02))
    """Age of the sensor data in an observation [s], rounded to physics steps; nominal 0."""
    action_latency: RandomTerm = field(default_factory=lambda: RandomTerm(True, 0.0, 0.02))
    """Delay before a new action reaches the PD loop [s], rounded to physics steps; nominal 0."""
    observation_noise: RandomTerm = field(default_factory=lambda: RandomTerm(True, 1.0, 1.0))
    """Multiplier on the per-sensor noise levels of `legkit_train.randomization` [-];
    nominal 0 (no noise)."""
    pushes: Pushes = field(default_factory=Pushes)
    """Random shoves of the base."""

    @classmethod
    def none(cls) -> Randomization:
        """Every term disabled: the nominal robot, exactly as the profile describes it."""
        off = cls()
        for f in dataclasses.fields(off):
            getattr(off, f.name).enabled = False
        return off


@dataclass
class Curriculum:
    """Command curriculum: start with slow commands and widen them as tracking succeeds."""

    enabled: bool = True
    """Whether to use the curriculum; disabled, commands span the full `CommandRanges`."""
    initial_level: float = 0.3
    """Fraction of the full command ranges used at the start [-], in (0, 1]."""
    tracking_threshold: float = 0.8
    """An episode whose mean linear-velocity tracking term (in [0, 1]) exceeds this widens
    the ranges [-]."""
    step: float = 0.1
    """Increase of the level per successful episode [-]."""

    def __post_init__(self) -> None:
        if not 0.0 < self.initial_level <= 1.0:
            raise ValueError(
                f"curriculum.initial_level must be in (0, 1], got {self.initial_level}"
            )
        if not 0.0 <= self.tracking_threshold <= 1.0 or not self.step >= 0.0:
            raise ValueError(
                "curriculum: tracking_threshold must be in [0, 1] and step >= 0, got "
                f"{self.tracking_threshold}, {self.step}"
            )


TERMINATION_CONTACTS = ("base", "non_foot")
"""Values of `EnvConfig.termination_contact`."""


@dataclass
class EnvConfig:
    """Everything that defines one walking environment."""

    commands: CommandRanges = field(default_factory=CommandRanges)
    """Velocity command ranges and resampling."""
    rewards: RewardWeights = field(default_factory=RewardWeights)
    """Reward term weights [per s]."""
    randomization: Randomization = field(default_factory=Randomization)
    """Domain randomization."""
    curriculum: Curriculum = field(default_factory=Curriculum)
    """Command curriculum."""
    episode_length_s: float = 20.0
    """Episodes are truncated after this much simulated time [s]."""
    termination_tilt: float = 1.0
    """An episode ends when the base z axis leans further than this from vertical [rad]."""
    termination_contact: str = "base"
    """Which ground contact ends an episode as a fall. "base": the trunk touching the
    ground, as the issue and legged_gym have it; a shank or thigh brushing the ground in
    a stumble is penalized (`rewards.collision`) and the episode goes on. "non_foot": any
    link but a foot, the stricter rule the shipped walking policy was trained under. Of
    its 8 falls in 200 randomized evaluation episodes under that rule, 3 were a shank
    touching down with the base upright at 0.28-0.30 m, after which the robot, let go on,
    walked the episode out (measured)."""
    history_length: int = 1
    """Observation frames the policy sees, oldest first (one frame: the contract's 45
    values). Recorded in the exported contract, so deployment stacks the same frames. The
    policy has no linear-velocity input: past frames let it tell stance from swing and
    so read its speed off its legs."""
    tracking_sigma: float = 0.25
    """Width of the velocity-tracking kernels exp(-err^2 / sigma) [(m/s)^2, (rad/s)^2].
    legged_gym's 0.25 rewards a 0.2 m/s error with 0.85 of the maximum: too flat a slope
    to pull a policy that undershoots its commands the last 0.2 m/s. A narrower kernel
    sharpens it; the curriculum's threshold applies to the kernel of this width."""
    only_positive_rewards: bool = True
    """Clip each step's total reward at zero (legged_gym's default), so that while the
    penalties still outweigh the tracking terms an early fall is never the best return.
    The `RewardWeights.termination` term is added after the clip. The per-term values in
    ``info`` are not clipped."""

    def __post_init__(self) -> None:
        if not self.episode_length_s > 0.0:
            raise ValueError(f"episode_length_s must be > 0, got {self.episode_length_s}")
        if self.termination_contact not in TERMINATION_CONTACTS:
            raise ValueError(
                f"termination_contact must be one of {TERMINATION_CONTACTS}, "
                f"got {self.termination_contact!r}"
            )
        if not 0.0 < self.termination_tilt <= math.pi:
            raise ValueError(f"termination_tilt must be in (0, pi], got {self.termination_tilt}")
        if isinstance(self.history_length, bool) or not (
            isinstance(self.history_length, int) and self.history_length >= 1
        ):
            raise ValueError(f"history_length must be an integer >= 1, got {self.history_length}")
        if not self.tracking_sigma > 0.0:
            raise ValueError(f"tracking_sigma must be > 0, got {self.tracking_sigma}")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EnvConfig:
        """Build from nested plain data; ValueError naming the first unknown key by its path.

        Keys left out keep their defaults, also inside a section: ``{"randomization":
        {"ground_friction": {"enabled": False}}}`` keeps that term's default range.
        """
        return _updated(cls(), data, "")


_T = TypeVar("_T")


def _updated(base: _T, data: Mapping[str, Any], where: str) -> _T:
    """A copy of the dataclass `base` with the values in `data`; `where` prefixes key paths."""
    if not isinstance(data, Mapping):
        raise ValueError(f"{where.rstrip('.') or 'config'}: expected a mapping, got {data!r}")
    hints = typing.get_type_hints(type(base))
    known = {f.name for f in dataclasses.fields(base)}  # type: ignore[arg-type]
    changes: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            raise ValueError(
                f"unknown config key '{where}{key}'; known keys here: {', '.join(sorted(known))}"
            )
        current, hint, path = getattr(base, key), hints[key], f"{where}{key}"
        if dataclasses.is_dataclass(current):
            changes[key] = _updated(current, value, f"{path}.")
        elif typing.get_origin(hint) is tuple:
            if not isinstance(value, list | tuple) or not all(map(_is_number, value)):
                raise ValueError(f"config key '{path}': expected a list of numbers, got {value!r}")
            changes[key] = tuple(float(v) for v in value)
        elif hint is bool:
            if not isinstance(value, bool):
                raise ValueError(f"config key '{path}': expected true or false, got {value!r}")
            changes[key] = value
        elif hint is int:
            if not (_is_number(value) and float(value).is_integer()):
                raise ValueError(f"config key '{path}': expected an integer, got {value!r}")
            changes[key] = int(value)
        elif hint is str:
            if not isinstance(value, str):
                raise ValueError(f"config key '{path}': expected a string, got {value!r}")
            changes[key] = value
        else:
            if not _is_number(value):
                raise ValueError(f"config key '{path}': expected a number, got {value!r}")
            changes[key] = float(value)
    # replace() runs __post_init__, so the result is validated like a hand-built config.
    return dataclasses.replace(base, **changes)  # type: ignore[type-var]


def _is_number(value: Any) -> bool:
    # bool is an int in Python, but `true` where a number belongs is a mistake.
    return isinstance(value, int | float) and not isinstance(value, bool)
