"""The wearer's own control: joint-space tracking of the reference with bounded muscle torque.

Per joint of the person::

    tau = clip(kp (q_ref - q) + kd (qd_ref - qd) - [hips] w (trunk), -extensor, +flexor)
    trunk = kt (lean - lean_ref) + ct (lean_rate - lean_rate_ref)

The trunk term is balance of the upper body: the hips of the supporting legs (each by
its share ``w`` of the body weight, from the reference) hold the trunk upright in the
world, not just relative to the thighs, as the stance-hip torso control of SIMBICON
(Yin, Loken and van de Panne, SIGGRAPH 2007) does. Without it nothing corrects a trunk
that drifts forward together with a stance thigh, and the person folds over.

A stiff, damped tracking law stands in for the central nervous system: it is what a
person "wants" the joints to do, and its output is the net muscle torque about each
joint. That torque, never the exoskeleton's, is the **human effort** the assistance is
scored on: a proxy for muscle activity, not a metabolic cost. When the exoskeleton
supplies part of the torque a joint needs, the tracking error and hence the muscle
torque shrink; when it pushes the wrong way, the person pays to resist it.

The bounds are net voluntary joint torques of a healthy adult, of the size measured with
isokinetic dynamometers (e.g. Anderson, Madigan and Nussbaum, J. Biomech. 40, 2007):
stronger extensors than flexors at hip and knee, weak dorsiflexors. Gains are chosen
for tracking within a few degrees, and stable at the 500 Hz physics rate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from legkit.wearer.gait import HIP_INDICES, MotionSample


@dataclass(frozen=True)
class JointMuscles:
    """Tracking gains and torque bounds of one joint (flexion positive)."""

    kp: float
    """[N m/rad]"""
    kd: float
    """[N m s/rad]"""
    flexor: float
    """Largest torque in the positive (flexion / dorsiflexion) direction [N m]."""
    extensor: float
    """Largest torque in the negative direction, as a positive number [N m]."""

    def __post_init__(self) -> None:
        if min(self.kp, self.kd) < 0.0 or min(self.flexor, self.extensor) <= 0.0:
            raise ValueError(f"gains must be >= 0 and torque bounds > 0, got {self}")


@dataclass(frozen=True)
class MuscleModel:
    """The wearer's muscles, per joint type; both legs alike."""

    hip: JointMuscles = field(default_factory=lambda: JointMuscles(1200.0, 60.0, 150.0, 200.0))
    knee: JointMuscles = field(default_factory=lambda: JointMuscles(1000.0, 30.0, 120.0, 220.0))
    ankle: JointMuscles = field(default_factory=lambda: JointMuscles(1200.0, 6.0, 50.0, 180.0))
    trunk_stiffness: float = 800.0
    """Balance of the trunk through the supporting hips [N m/rad]; five times the toppling
    stiffness m g l of the upper body (47 kg at 0.32 m: 150 N m/rad)."""
    trunk_damping: float = 80.0
    """[N m s/rad]"""

    def per_joint(self) -> tuple[JointMuscles, ...]:
        """In `legkit.wearer.gait.WEARER_JOINTS` order (left hip, knee, ankle, then right)."""
        return (self.hip, self.knee, self.ankle) * 2


class TrackingController:
    """Muscle torques that track a reference, for the six joints of the person."""

    def __init__(self, model: MuscleModel | None = None) -> None:
        self.model = model if model is not None else MuscleModel()
        joints = self.model.per_joint()
        self._kp0 = np.array([j.kp for j in joints])
        self._kd0 = np.array([j.kd for j in joints])
        self._upper0 = np.array([j.flexor for j in joints])
        self._lower0 = -np.array([j.extensor for j in joints])
        self.set_person(strength=1.0, stiffness=1.0)

    def set_person(self, strength: float, stiffness: float) -> None:
        """Scale the torque bounds by `strength` and the gains by `stiffness` (> 0, [-]):
        another person, or the same one tired."""
        if not (strength > 0.0 and stiffness > 0.0):
            raise ValueError(f"strength and stiffness must be > 0, got {strength}, {stiffness}")
        self._kp, self._kd = self._kp0 * stiffness, self._kd0 * stiffness
        self._kt = self.model.trunk_stiffness * stiffness
        self._ct = self.model.trunk_damping * stiffness
        self._upper, self._lower = self._upper0 * strength, self._lower0 * strength

    @property
    def torque_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """(lower, upper) muscle torque per joint [N m]."""
        return self._lower.copy(), self._upper.copy()

    def torques(
        self, ref: MotionSample, q: np.ndarray, qd: np.ndarray, lean: float, lean_rate: float
    ) -> np.ndarray:
        """Muscle torque per joint [N m] tracking `ref` from the joint state (q, qd) [rad,
        rad/s] and the trunk's forward lean [rad] and its rate [rad/s]."""
        tau = ref.feedforward + self._kp * (ref.joint_positions - q)
        tau += self._kd * (ref.joint_velocities - qd)
        lean_error = lean - ref.pelvis[2]
        trunk = self._kt * lean_error + self._ct * (lean_rate - ref.pelvis_velocity[2])
        tau[list(HIP_INDICES)] -= ref.support * trunk
        return np.minimum(np.maximum(tau, self._lower), self._upper)
