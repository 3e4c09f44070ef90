"""Robot profile: the single source of truth for a robot's joints and gains.

A profile says which joints a robot has and in which order, where each joint may
go, how hard it may push, the pose it stands in and the PD gains its policies were
trained with. Everything that indexes joints (observation builder, controller,
sim bridge, policy contract) takes the order from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ACTUATIONS = ("position", "torque")
"""What a policy action may command; see `RobotProfile.actuation`."""


@dataclass(frozen=True)
class JointSpec:
    """One actuated revolute joint."""

    name: str
    lower: float
    """Lower position limit [rad]."""
    upper: float
    """Upper position limit [rad]."""
    effort_limit: float
    """Peak torque the actuator may apply [N m]; every command is clamped to it."""
    velocity_limit: float
    """Maximum joint speed [rad/s]."""
    default_position: float
    """Position in the nominal standing pose [rad]; policy actions are offsets from it."""
    kp: float
    """PD stiffness used in training and deployment [N m/rad]."""
    kd: float
    """PD damping used in training and deployment [N m s/rad]."""

    def __post_init__(self) -> None:
        if not self.lower < self.upper:
            raise ValueError(f"joint {self.name}: lower limit {self.lower} >= upper {self.upper}")
        if not self.lower <= self.default_position <= self.upper:
            raise ValueError(
                f"joint {self.name}: default position {self.default_position} outside "
                f"[{self.lower}, {self.upper}]"
            )
        for attr in ("effort_limit", "velocity_limit"):
            if getattr(self, attr) <= 0.0:
                raise ValueError(f"joint {self.name}: {attr} must be positive")
        if self.kp < 0.0 or self.kd < 0.0:
            raise ValueError(f"joint {self.name}: PD gains must be non-negative")


@dataclass(frozen=True)
class RobotProfile:
    """Everything the stack needs to know about one robot model."""

    name: str
    """Profile id, written into every policy contract trained for this robot."""
    urdf: Path
    """Robot description loaded by the simulator."""
    joints: tuple[JointSpec, ...]
    """Actuated joints in the canonical order used by every array in the stack."""
    base_link: str
    """Name of the floating-base link (the IMU is mounted on it)."""
    foot_links: tuple[str, ...]
    """Links expected to touch the ground; other contacts count as collisions."""
    nominal_base_height: float
    """Base height above flat ground in the default pose [m]."""
    lying_joint_positions: tuple[float, ...]
    """Folded pose the robot rests in before stand-up [rad], profile order."""
    physics_rate_hz: float = 250.0
    """Rate of physics, of /joint_states and of the PD loop [Hz] (legged_gym runs PD at 200 Hz)."""
    control_rate_hz: float = 50.0
    """Policy rate [Hz]; must divide the physics rate."""
    damping_kd: float = 1.0
    """Joint damping applied in the DAMPING safe state [N m s/rad]."""
    standup_duration: float = 1.5
    """Time to ramp from the measured pose to the default pose [s]."""
    fall_height: float = 0.15
    """Base height below which the robot counts as fallen [m]."""
    fall_tilt: float = 1.0
    """Tilt of the base z axis from vertical beyond which the robot counts as fallen [rad]."""
    actuation: str = "position"
    """What a policy action commands: "position" (PD position targets about the default pose,
    `PolicyContract.joint_targets`) or "torque" (joint torque, ``action_scale`` N m per unit
    action, no PD loop: kp = kd = 0), as the exoskeleton's assistance does."""
    metadata: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        names = [j.name for j in self.joints]
        if len(set(names)) != len(names):
            raise ValueError(f"profile {self.name}: duplicate joint names in {names}")
        decimation = self.physics_rate_hz / self.control_rate_hz
        if abs(decimation - round(decimation)) > 1e-9 or decimation < 1:
            raise ValueError(
                f"profile {self.name}: control rate {self.control_rate_hz} Hz does not divide "
                f"physics rate {self.physics_rate_hz} Hz"
            )
        if len(self.lying_joint_positions) != len(self.joints):
            raise ValueError(
                f"profile {self.name}: lying pose has {len(self.lying_joint_positions)} "
                f"values for {len(self.joints)} joints"
            )
        if self.actuation not in ACTUATIONS:
            raise ValueError(
                f"profile {self.name}: actuation must be one of {ACTUATIONS}, "
                f"got {self.actuation!r}"
            )

    # Arrays in profile order. Built on demand; profiles are small.
    @property
    def num_joints(self) -> int:
        return len(self.joints)

    @property
    def joint_names(self) -> tuple[str, ...]:
        return tuple(j.name for j in self.joints)

    @property
    def default_positions(self) -> np.ndarray:
        return np.array([j.default_position for j in self.joints])

    @property
    def lower_limits(self) -> np.ndarray:
        return np.array([j.lower for j in self.joints])

    @property
    def upper_limits(self) -> np.ndarray:
        return np.array([j.upper for j in self.joints])

    @property
    def effort_limits(self) -> np.ndarray:
        return np.array([j.effort_limit for j in self.joints])

    @property
    def velocity_limits(self) -> np.ndarray:
        return np.array([j.velocity_limit for j in self.joints])

    @property
    def kp(self) -> np.ndarray:
        return np.array([j.kp for j in self.joints])

    @property
    def kd(self) -> np.ndarray:
        return np.array([j.kd for j in self.joints])

    def joint_index(self, name: str) -> int:
        """Index of a joint in profile order; KeyError naming the profile if unknown."""
        try:
            return self.joint_names.index(name)
        except ValueError:
            raise KeyError(f"joint '{name}' is not in robot profile '{self.name}'") from None
