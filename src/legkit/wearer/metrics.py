"""What the wearer's muscles and the device did: effort sums over physics steps.

The human effort proxies of the assistance task (not metabolic cost):

- **hip effort**: the integral of the squared hip muscle torque, both hips [N^2 m^2 s];
- **positive hip work**: the integral of the positive part of hip muscle power (torque
  times joint speed), both hips [J]: the concentric work the hip muscles do;

and of the device: its peak torque [N m] and mean positive mechanical power [W]. One
`EffortMeter` accumulates them step by step; the training environment reads it per
policy step (reward terms), the evaluation per gait cycle.
"""

from __future__ import annotations

import numpy as np

from legkit.wearer.gait import HIP_INDICES
from legkit.wearer.world import StepRecord

_HIPS = list(HIP_INDICES)
_OTHERS = [i for i in range(6) if i not in HIP_INDICES]  # knees and ankles


class EffortMeter:
    """Integrals over the physics steps `add`ed since the last `reset`."""

    def __init__(self, num_exo_joints: int) -> None:
        self._n = num_exo_joints
        self.reset()

    def reset(self) -> None:
        n = self._n
        self.duration = 0.0
        """Time accumulated [s]."""
        self.hip_torque = np.zeros(2)
        """Integral of the left / right hip muscle torque [N m s] (for mean profiles)."""
        self.hip_torque_sq = np.zeros(2)
        """Integral of the squared hip muscle torque [N^2 m^2 s]."""
        self.hip_positive_work = np.zeros(2)
        """Positive work of each hip's muscles [J]."""
        self.other_torque_sq = np.zeros(4)
        """Like `hip_torque_sq`, knees and ankles (left knee, left ankle, right ...)."""
        self.harness_sq = np.zeros(3)
        """Integral of the squared harness force forward, up [N^2 s] and moment [N^2 m^2 s]."""
        self.exo_torque = np.zeros(n)
        """Integral of each actuator's torque [N m s]."""
        self.exo_torque_sq = np.zeros(n)
        """Integral of each actuator's squared torque [N^2 m^2 s]."""
        self.exo_positive_work = np.zeros(n)
        """Positive mechanical work of each actuator [J]."""
        self.exo_peak_torque = 0.0
        """Largest |actuator torque| [N m]."""

    def add(self, rec: StepRecord, dt: float) -> None:
        """Account for one physics step of length `dt` [s]."""
        tau = rec.human_torques
        hips = tau[_HIPS]
        self.duration += dt
        self.hip_torque += hips * dt
        self.hip_torque_sq += hips * hips * dt
        self.hip_positive_work += np.maximum(hips * rec.human_velocities[_HIPS], 0.0) * dt
        others = tau[_OTHERS]
        self.other_torque_sq += others * others * dt
        self.harness_sq += rec.harness_forces * rec.harness_forces * dt
        if self._n:
            exo = rec.exo_torques
            self.exo_torque += exo * dt
            self.exo_torque_sq += exo * exo * dt
            self.exo_positive_work += np.maximum(exo * rec.exo_velocities, 0.0) * dt
            self.exo_peak_torque = max(self.exo_peak_torque, float(np.abs(exo).max()))

    def mean(self, name: str) -> np.ndarray:
        """Time average of an integral attribute (e.g. ``"hip_torque_sq"``: mean squared
        torque [N^2 m^2]; ``"hip_positive_work"``: mean positive power [W])."""
        if self.duration <= 0.0:
            raise ValueError("nothing accumulated yet")
        return getattr(self, name) / self.duration

    def absorb(self, other: EffortMeter) -> None:
        """Add `other`'s integrals to this meter's (e.g. a policy step's to a cycle's)."""
        self.duration += other.duration
        for name in _INTEGRALS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.exo_peak_torque = max(self.exo_peak_torque, other.exo_peak_torque)


_INTEGRALS = (
    "hip_torque",
    "hip_torque_sq",
    "hip_positive_work",
    "other_torque_sq",
    "harness_sq",
    "exo_torque",
    "exo_torque_sq",
    "exo_positive_work",
)
