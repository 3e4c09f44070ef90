"""Per-joint PID position controller with feed-forward, anti-windup and a torque clamp.

The same law runs in the ROS controller node and inside training at physics rate, so
a policy meets exactly the actuator model it was trained with. It runs at 500 Hz in
Python: the hot path is a handful of numpy operations on small arrays, with no
per-call validation beyond the time step.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike


def _as_gain(name: str, value: ArrayLike) -> np.ndarray:
    arr = np.array(value, dtype=float)
    if arr.ndim > 1:
        raise ValueError(f"{name} must be a scalar or a 1-D per-joint array, got shape {arr.shape}")
    if np.isnan(arr).any():
        raise ValueError(f"{name} must not be NaN: {value!r}")
    return arr


class JointPid:
    """PID position control of n joints, clamped to a per-joint torque limit.

    Per joint::

        tau = kp (q* - q) + kd (qd* - qd) + ki I + ff,   clamped to [-torque_limit, torque_limit]
        I   = sum of (q* - q) dt                          [rad s]

    The integral includes the current step's error (backward rectangle rule), so the
    first call with ki > 0 already contributes ``ki * e * dt``.

    Anti-windup is by conditional integration: a joint whose output is already
    saturated in the direction its error pushes does not integrate, so the integral
    cannot grow while the actuator is at its limit and the joint leaves saturation as
    soon as the error reverses. In addition ``|I| <= integral_limit``.

    Every gain and limit may be a scalar or an (n,) array; the integral takes the shape
    of the first ``position`` passed to :meth:`compute` (so (batch, n) arrays also work)
    and keeps it until the controller is rebuilt.
    """

    def __init__(
        self,
        kp: ArrayLike,
        kd: ArrayLike,
        torque_limit: ArrayLike,
        ki: ArrayLike = 0.0,
        integral_limit: ArrayLike = 0.0,
    ) -> None:
        """Build the controller.

        Args:
            kp: Stiffness [N m/rad], >= 0.
            kd: Damping [N m s/rad], >= 0.
            torque_limit: Output clamp [N m], > 0 (``inf`` disables it).
            ki: Integral gain [N m/(rad s)], >= 0.
            integral_limit: Bound on the integrated error [rad s]; must be > 0 for every
                joint with ki > 0, ignored where ki == 0.

        Raises:
            ValueError: a negative or NaN gain, a non-positive limit, or array arguments
                of different lengths.
        """
        self._kp = _as_gain("kp", kp)
        self._kd = _as_gain("kd", kd)
        self._ki = _as_gain("ki", ki)
        self._torque_limit = _as_gain("torque_limit", torque_limit)
        self._integral_limit = _as_gain("integral_limit", integral_limit)
        for name, arr in (("kp", self._kp), ("kd", self._kd), ("ki", self._ki)):
            if not np.isfinite(arr).all() or (arr < 0.0).any():
                raise ValueError(f"{name} must be finite and non-negative, got {arr}")
        if (self._torque_limit <= 0.0).any():
            raise ValueError(f"torque_limit must be positive, got {self._torque_limit}")
        if (self._integral_limit < 0.0).any():
            raise ValueError(f"integral_limit must be non-negative, got {self._integral_limit}")
        try:
            self._shape = np.broadcast_shapes(
                self._kp.shape,
                self._kd.shape,
                self._ki.shape,
                self._torque_limit.shape,
                self._integral_limit.shape,
            )
        except ValueError:
            raise ValueError(
                "per-joint arrays must all have the same length: "
                f"kp {self._kp.shape}, kd {self._kd.shape}, ki {self._ki.shape}, "
                f"torque_limit {self._torque_limit.shape}, "
                f"integral_limit {self._integral_limit.shape}"
            ) from None
        integrating = np.broadcast_to(self._ki > 0.0, self._shape)
        if (np.broadcast_to(self._integral_limit, self._shape)[integrating] <= 0.0).any():
            raise ValueError(
                f"integral_limit must be positive where ki > 0 (ki={self._ki}, "
                f"integral_limit={self._integral_limit})"
            )
        # With no integral action the integral is never touched: a cheaper hot path.
        self._integrating = bool(integrating.any())
        self._neg_torque_limit = -self._torque_limit
        self._neg_integral_limit = -self._integral_limit
        self._integral: np.ndarray | None = None

    @property
    def integral(self) -> np.ndarray:
        """Integrated position error [rad s] (a copy; zeros before the first step)."""
        if self._integral is None:
            return np.zeros(self._shape)
        return self._integral.copy()

    def reset(self) -> None:
        """Zero the integral (call on every mode change so old error does not carry over)."""
        if self._integral is not None:
            self._integral.fill(0.0)

    def compute(
        self,
        target_position: ArrayLike,
        position: ArrayLike,
        velocity: ArrayLike,
        dt: float,
        target_velocity: ArrayLike = 0.0,
        feedforward: ArrayLike | None = None,
    ) -> np.ndarray:
        """Joint torques [N m] for one control step; a new array, never ``nan`` for finite input.

        Args:
            target_position: q* [rad].
            position: Measured q [rad].
            velocity: Measured qd [rad/s].
            dt: Step length [s], > 0; only the integral uses it.
            target_velocity: qd* [rad/s].
            feedforward: Torque added before the clamp [N m]; None adds nothing.

        Raises:
            ValueError: ``dt`` not a positive finite number, or ``position`` of a different
                shape than on the first call (only checked when ki > 0).
        """
        if not 0.0 < dt < math.inf:
            raise ValueError(f"dt must be a positive finite time step [s], got {dt}")
        error = np.subtract(target_position, position)
        tau = self._kp * error
        tau += self._kd * np.subtract(target_velocity, velocity)
        if feedforward is not None:
            tau += feedforward
        if self._integrating:
            integral = self._integral_buffer(np.shape(error))
            # Conditional integration: freeze joints whose output (with the integral so
            # far) is at the clamp with an error of the same sign, i.e. an error that would
            # drive them further in; everything else integrates as usual. One product
            # instead of testing each side separately: fewer ufunc calls at 500 Hz.
            trial = self._ki * integral
            trial += tau
            frozen = (np.abs(trial) >= self._torque_limit) & (trial * error > 0.0)
            integral += np.where(frozen, 0.0, error * dt)
            # minimum/maximum rather than np.clip: same result, a fraction of the call overhead.
            np.minimum(integral, self._integral_limit, out=integral)
            np.maximum(integral, self._neg_integral_limit, out=integral)
            tau += self._ki * integral
        return np.maximum(np.minimum(tau, self._torque_limit), self._neg_torque_limit)

    def _integral_buffer(self, shape: tuple[int, ...]) -> np.ndarray:
        if self._integral is None:
            self._integral = np.zeros(np.broadcast_shapes(self._shape, shape))
        elif shape != self._integral.shape and (
            np.broadcast_shapes(self._shape, shape) != self._integral.shape
        ):
            raise ValueError(
                f"position shape {shape} differs from the first call's {self._integral.shape}"
            )
        return self._integral
