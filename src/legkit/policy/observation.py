"""The policy observation: which terms exist, how big they are, how they are scaled.

This module is the one place the observation layout is defined. Training (pybullet)
and deployment (ROS 2 node) both fill an `ObservationInputs` with raw SI values and
call `ObservationBuilder.build`, so the vector a policy sees on the robot is built by
the same code that built it in training.

Known terms (``n`` = number of actuated joints of the robot profile):

=================  ====  ==================  =================================================
name               size  default scale       value (before scaling)
=================  ====  ==================  =================================================
base_ang_vel       3     0.25                base angular velocity, body frame [rad/s]
projected_gravity  3     1.0                 gravity unit vector in the body frame [-]
velocity_command   3     (2.0, 2.0, 0.25)    commanded vx, vy [m/s], yaw rate [rad/s]
joint_pos          n     1.0                 joint positions minus default positions [rad]
joint_vel          n     0.05                joint velocities [rad/s]
last_action        n     1.0                 previous raw (unscaled, unclipped) policy action
thigh_angle        2     1.0                 left, right thigh angle from vertical, forward
                                             positive, from the thigh IMUs [rad]
thigh_ang_vel      2     0.2                 left, right thigh sagittal rate [rad/s]
=================  ====  ==================  =================================================

One frame is the chosen terms concatenated in layout order, each multiplied element-wise
by its scale, then clipped to ``[-clip, clip]``. With a history length ``H > 1`` the
observation is the last ``H`` frames concatenated, oldest first. The default quadruped
layout (`DEFAULT_QUADRUPED_TERMS`) with 12 joints gives a 45-element frame.

The thigh terms are what a hip exoskeleton measures (IMUs on its thigh cuffs); its
assistance policies see only them and their own last actions (`legkit.robots.exoskeleton`).
An input field that no term of the layout reads may be left as None.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from legkit.rotations import projected_gravity

if TYPE_CHECKING:
    from legkit.policy.contract import PolicyContract


@dataclass(frozen=True)
class ObservationTerm:
    """One entry of an observation layout: a named term and its per-element scale."""

    name: str
    scale: tuple[float, ...]
    """Multiplier applied to each element of the raw value; its length is the term size."""

    @property
    def size(self) -> int:
        """Number of elements the term contributes to one frame."""
        return len(self.scale)


@dataclass
class ObservationInputs:
    """Raw, unscaled inputs of one observation frame: SI units, joints in profile order.

    Fields the layout does not read may be None (an exoskeleton has no base IMU)."""

    base_angular_velocity: np.ndarray | None = None
    """(3,) base angular velocity in the body frame [rad/s]."""
    base_orientation: np.ndarray | None = None
    """(4,) base orientation quaternion (x, y, z, w), body to world."""
    velocity_command: np.ndarray | None = None
    """(3,) commanded forward, lateral velocity [m/s] and yaw rate [rad/s]."""
    joint_positions: np.ndarray | None = None
    """(n,) measured joint positions [rad]."""
    joint_velocities: np.ndarray | None = None
    """(n,) measured joint velocities [rad/s]."""
    last_action: np.ndarray | None = None
    """(n,) raw action the policy returned on the previous step (zeros after a reset)."""
    thigh_angles: np.ndarray | None = None
    """(2,) left, right thigh angle from the vertical, thigh forward positive [rad]."""
    thigh_angular_velocities: np.ndarray | None = None
    """(2,) left, right thigh angular velocity in the sagittal plane [rad/s]."""


# A term's raw value from the inputs and the default joint positions [rad].
_Compute = Callable[[ObservationInputs, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class _TermDefinition:
    name: str
    per_joint: bool
    """True: one element per joint. False: a fixed `size`-vector."""
    default_scale: float | tuple[float, ...]
    compute: _Compute
    reads: str = ""
    """The `ObservationInputs` field the term is computed from."""
    size: int = 3
    """Elements of a term that is not per joint."""

    def size_for(self, num_joints: int) -> int:
        return num_joints if self.per_joint else self.size


def _gravity(inputs: ObservationInputs, _: np.ndarray) -> np.ndarray:
    q = np.asarray(inputs.base_orientation, dtype=float)
    norm = float(np.linalg.norm(q))
    # IMU and simulator quaternions drift slightly off unit length; normalising keeps
    # the term a unit vector. A zero quaternion (an IMU that has not initialised) has no
    # orientation: it becomes NaN like any other invalid reading, for `is_finite` to catch.
    if norm == 0.0:
        return np.full(3, np.nan)
    return projected_gravity(q / norm)


# Registry of every term a layout may use, in the order of the module docstring table.
_TERMS: dict[str, _TermDefinition] = {
    t.name: t
    for t in (
        _TermDefinition(
            "base_ang_vel",
            False,
            0.25,
            lambda i, _: i.base_angular_velocity,
            "base_angular_velocity",
        ),
        _TermDefinition("projected_gravity", False, 1.0, _gravity, "base_orientation"),
        _TermDefinition(
            "velocity_command",
            False,
            (2.0, 2.0, 0.25),
            lambda i, _: i.velocity_command,
            "velocity_command",
        ),
        _TermDefinition(
            "joint_pos", True, 1.0, lambda i, d: i.joint_positions - d, "joint_positions"
        ),
        _TermDefinition(
            "joint_vel", True, 0.05, lambda i, _: i.joint_velocities, "joint_velocities"
        ),
        _TermDefinition("last_action", True, 1.0, lambda i, _: i.last_action, "last_action"),
        _TermDefinition(
            "thigh_angle", False, 1.0, lambda i, _: i.thigh_angles, "thigh_angles", size=2
        ),
        _TermDefinition(
            "thigh_ang_vel",
            False,
            0.2,
            lambda i, _: i.thigh_angular_velocities,
            "thigh_angular_velocities",
            size=2,
        ),
    )
}

KNOWN_TERMS: tuple[str, ...] = tuple(_TERMS)
"""Names of all terms an observation layout may contain."""

DEFAULT_QUADRUPED_TERMS: tuple[str, ...] = (
    "base_ang_vel",
    "projected_gravity",
    "velocity_command",
    "joint_pos",
    "joint_vel",
    "last_action",
)
"""Layout the quadruped policies are trained with."""


def _definition(name: str) -> _TermDefinition:
    try:
        return _TERMS[name]
    except KeyError:
        raise ValueError(
            f"unknown observation term '{name}'; known terms: {', '.join(KNOWN_TERMS)}"
        ) from None


def make_layout(
    names: Sequence[str],
    num_joints: int,
    scales: Mapping[str, float | Sequence[float]] | None = None,
) -> tuple[ObservationTerm, ...]:
    """Build a layout from term names, sizing joint terms for `num_joints` joints.

    `scales` overrides the default scale of a term: a scalar is broadcast to every
    element, a sequence must have one value per element. ValueError for an unknown or
    repeated term, a scale for a term not in `names`, or a scale of the wrong length.
    """
    if num_joints < 1:
        raise ValueError(f"num_joints must be at least 1, got {num_joints}")
    scales = dict(scales or {})
    stray = sorted(set(scales) - set(names))
    if stray:
        raise ValueError(f"scales given for terms not in the layout: {', '.join(stray)}")
    layout = []
    for name in names:
        definition = _definition(name)
        size = definition.size_for(num_joints)
        scale = np.asarray(scales.get(name, definition.default_scale), dtype=float)
        if scale.ndim == 0:
            scale = np.full(size, float(scale))
        if scale.shape != (size,):
            raise ValueError(
                f"observation term '{name}': scale has {scale.size} values, term size is {size}"
            )
        layout.append(ObservationTerm(name, tuple(float(s) for s in scale)))
    validate_layout(layout, num_joints)
    return tuple(layout)


def validate_layout(terms: Sequence[ObservationTerm], num_joints: int) -> None:
    """ValueError unless every term is known, appears once and has the right size."""
    seen: set[str] = set()
    for term in terms:
        expected = _definition(term.name).size_for(num_joints)
        if term.name in seen:
            raise ValueError(f"observation term '{term.name}' appears more than once")
        seen.add(term.name)
        if term.size != expected:
            raise ValueError(
                f"observation term '{term.name}' has size {term.size}, "
                f"expected {expected} for {num_joints} joints"
            )


def is_finite(obs: np.ndarray) -> bool:
    """True if every element of an observation is finite (no NaN, no inf)."""
    return bool(np.isfinite(obs).all())


class ObservationBuilder:
    """Turns raw `ObservationInputs` into the scaled, clipped, stacked policy input."""

    def __init__(
        self,
        terms: Sequence[ObservationTerm],
        default_joint_positions: np.ndarray,
        history_length: int = 1,
        clip: float = 100.0,
    ) -> None:
        """
        Args:
            terms: the layout, in frame order (see `make_layout`).
            default_joint_positions: (n,) default pose [rad]; `joint_pos` is relative to it.
            history_length: number of frames stacked into one observation (>= 1).
            clip: every scaled element is clipped to [-clip, clip] (> 0).
        """
        self._default = np.array(default_joint_positions, dtype=float).reshape(-1)
        self.num_joints = self._default.size
        validate_layout(terms, self.num_joints)
        if history_length < 1:
            raise ValueError(f"history_length must be at least 1, got {history_length}")
        if not clip > 0.0:
            raise ValueError(f"clip must be positive, got {clip}")
        self.terms = tuple(terms)
        self.history_length = int(history_length)
        self.clip = float(clip)

        self._slices: dict[str, slice] = {}
        start = 0
        for term in self.terms:
            self._slices[term.name] = slice(start, start + term.size)
            start += term.size
        self.frame_size = start
        self.size = self.frame_size * self.history_length
        self._computes = [(self._slices[t.name], _TERMS[t.name].compute) for t in self.terms]
        self._scale = np.array([s for t in self.terms for s in t.scale], dtype=float)
        shapes = {
            "base_angular_velocity": (3,),
            "base_orientation": (4,),
            "velocity_command": (3,),
            "joint_positions": (self.num_joints,),
            "joint_velocities": (self.num_joints,),
            "last_action": (self.num_joints,),
            "thigh_angles": (2,),
            "thigh_angular_velocities": (2,),
        }
        # Only what the layout reads must be there (and have its shape).
        read = {_TERMS[t.name].reads for t in self.terms}
        self._expected_shapes = {k: v for k, v in shapes.items() if k in read}
        self._history = np.zeros((self.history_length, self.frame_size), dtype=np.float32)
        self._primed = False

    @property
    def inputs_read(self) -> frozenset[str]:
        """Names of the `ObservationInputs` fields this layout needs (the others may be None)."""
        return frozenset(self._expected_shapes)

    @classmethod
    def from_contract(cls, contract: PolicyContract) -> ObservationBuilder:
        """The builder a policy with this contract was trained with."""
        return cls(
            contract.observation,
            np.asarray(contract.default_joint_positions),
            history_length=contract.history_length,
            clip=contract.observation_clip,
        )

    def term_slices(self) -> dict[str, slice]:
        """Where each term sits within one frame (index into a frame, not the history)."""
        return dict(self._slices)

    def reset(self) -> None:
        """Forget the history; the next `build` fills every history slot with its frame."""
        self._primed = False

    def build(self, inputs: ObservationInputs) -> np.ndarray:
        """The observation for `inputs`: float32, shape (size,).

        NaN or inf in the inputs stay in the output (and in the history); check with
        `is_finite` and decide there, e.g. refuse to act and `reset`.
        """
        self._check_shapes(inputs)
        frame = np.empty(self.frame_size, dtype=float)
        for where, compute in self._computes:
            frame[where] = compute(inputs, self._default)
        frame *= self._scale
        np.clip(frame, -self.clip, self.clip, out=frame)

        if self.history_length == 1:
            return frame.astype(np.float32)
        if self._primed:
            # Oldest frame first: shift up by one and append the newest at the end.
            self._history[:-1] = self._history[1:]
            self._history[-1] = frame
        else:
            # After a reset there is no past; repeating the first frame is what the
            # policy saw at the start of every training episode.
            self._history[:] = frame
            self._primed = True
        return self._history.reshape(-1).copy()

    def _check_shapes(self, inputs: ObservationInputs) -> None:
        for field_name, expected in self._expected_shapes.items():
            value = getattr(inputs, field_name)
            # ndarray.shape directly: np.shape costs a call per field on every build.
            got = value.shape if isinstance(value, np.ndarray) else np.shape(value)
            if got != expected:
                raise ValueError(
                    f"ObservationInputs.{field_name}: expected shape {expected}, got {got}"
                )
