"""Assistance shaping: what an exoskeleton's actuators may be told, whatever was asked.

A policy, or any other assistance law, asks for joint torques; `AssistanceShaper` decides
what reaches the motors. It runs at the actuator rate (every call of `update`) and is the
same object in training and on the device, so a policy learns with the limits it will
meet. Each update, in order:

1. **Hard zero**, output exactly 0 and the filter cleared, while any of:

   - *e-stop*: latched by `estop`; only `reset_estop` releases it;
   - *stale data*: no thigh-sensor reading for `sensor_timeout_s`, or no command for
     `command_timeout_s` (a stalled policy must not leave an old torque on the legs);
   - *invalid input*: a non-finite command or sensor value;
   - *a fault reported elsewhere* (`fault`, e.g. a non-finite observation in the policy
     node): held for `command_timeout_s` after the latest report.

2. **Soft zero**, the request replaced by 0 but still filtered and slew limited, so the
   torque fades out in tens of milliseconds instead of snapping, while:

   - *transparent mode* is requested (`set_transparent`): the device follows the wearer;
   - the wearer *stands still*: both thighs within `standstill_angle` of vertical and
     slower than `standstill_speed` for `standstill_time_s` (a deep squat is not
     standing still: the thighs are far from vertical).

3. **Shaping** of the request: clamp to the torque limit, first-order low-pass at
   `cutoff_hz`, times the **ramp-in** gain (a smoothstep from 0 to 1 over `ramp_in_s`,
   restarted whenever assistance resumes after any zero mode), slew-rate limit, clamp.

Every mode change writes one line (what, from where to where, why), for a field engineer.
Times are seconds on one monotonic clock chosen by the caller (``now``).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from legkit.robots.profile import RobotProfile


class AssistMode(str, enum.Enum):
    """What the shaper outputs and why."""

    ESTOP = "ESTOP"
    """Zero torque, latched until `reset_estop`."""
    FAULT = "FAULT"
    """Zero torque: a non-finite command or sensor value, or a reported fault; clears on the
    next valid value, or `command_timeout_s` after the latest report."""
    STALE = "STALE"
    """Zero torque: sensor data or command too old (or none yet)."""
    TRANSPARENT = "TRANSPARENT"
    """Fading to zero torque on request."""
    STANDSTILL = "STANDSTILL"
    """Fading to zero torque: the wearer stands still."""
    ASSIST = "ASSIST"
    """Shaped request (ramping in after any zero mode)."""


_HARD = (AssistMode.ESTOP, AssistMode.FAULT, AssistMode.STALE)


@dataclass(frozen=True)
class AssistanceConfig:
    """Limits and timing of the assistance; units in brackets."""

    torque_limit: float = 18.0
    """Largest torque per joint [N m]; at most the actuator's effort limit."""
    cutoff_hz: float = 8.0
    """Low-pass cutoff of the request [Hz]: above gait's torque content (a few Hz), below
    the 50 Hz a noisy 100 Hz policy can produce."""
    slew_rate: float = 300.0
    """Largest torque change rate [N m/s]: full scale in 60 ms."""
    ramp_in_s: float = 2.0
    """Time to ramp assistance in after start, e-stop reset, stale data or any pause [s]."""
    sensor_timeout_s: float = 0.03
    """Thigh readings older than this stop the assistance [s] (three 100 Hz periods)."""
    command_timeout_s: float = 0.05
    """A command older than this stops the assistance [s] (five policy periods)."""
    standstill_angle: float = 0.25
    """Both thighs within this of vertical may count as standing [rad] (14 degrees)."""
    standstill_speed: float = 0.3
    """... and both slower than this [rad/s] ..."""
    standstill_time_s: float = 1.0
    """... for this long [s]: longer than the pause between two squats."""

    def __post_init__(self) -> None:
        positive = ("torque_limit", "cutoff_hz", "slew_rate", "sensor_timeout_s")
        positive += ("command_timeout_s", "standstill_angle", "standstill_speed")
        for name in positive:
            value = getattr(self, name)
            if not 0.0 < value < math.inf:
                raise ValueError(f"assistance {name} must be positive and finite, got {value}")
        for name in ("ramp_in_s", "standstill_time_s"):
            value = getattr(self, name)
            if not 0.0 <= value < math.inf:
                raise ValueError(f"assistance {name} must be >= 0 and finite, got {value}")

    @classmethod
    def for_profile(cls, profile: RobotProfile, **overrides: float) -> AssistanceConfig:
        """Defaults with the torque limit of `profile`'s weakest actuator (or lower)."""
        limit = float(np.min(profile.effort_limits))
        if overrides.get("torque_limit", limit) > limit:
            raise ValueError(
                f"assistance torque limit {overrides['torque_limit']} N m exceeds the "
                f"actuators' {limit} N m ({profile.name})"
            )
        return cls(**{"torque_limit": limit, **overrides})


class AssistanceShaper:
    """Turns requested assistance into safe actuator torques for `num_joints` joints."""

    def __init__(
        self,
        config: AssistanceConfig,
        num_joints: int,
        log: Callable[[str], None] = print,
    ) -> None:
        if num_joints < 1:
            raise ValueError(f"num_joints must be at least 1, got {num_joints}")
        self.config = config
        self._n = num_joints
        self._log = log
        self._tau = 1.0 / (2.0 * math.pi * config.cutoff_hz)
        self.reset(0.0)

    # ------------------------------------------------------------------ queries
    @property
    def mode(self) -> AssistMode:
        """The mode of the latest `update`."""
        return self._mode

    @property
    def output(self) -> np.ndarray:
        """The torques of the latest `update` [N m] (a copy)."""
        return self._out.copy()

    def ramp_gain(self, now: float) -> float:
        """Ramp-in factor at `now` [-], in [0, 1]."""
        if self._enabled_at is None:
            return 0.0
        ramp = self.config.ramp_in_s
        if ramp == 0.0:
            return 1.0
        s = min(max((now - self._enabled_at) / ramp, 0.0), 1.0)
        return s * s * (3.0 - 2.0 * s)

    # ------------------------------------------------------------------ inputs
    def reset(self, now: float, ramped: bool = False) -> None:
        """Forget all inputs: zero output, no data yet. The e-stop latch is kept.

        `ramped`: the first assistance after fresh data starts at full gain instead of
        ramping in (a training episode that starts mid-stride).
        """
        latched = getattr(self, "_mode", None) is AssistMode.ESTOP
        self._mode = AssistMode.ESTOP if latched else AssistMode.STALE
        self._reason = "latched e-stop" if latched else "no data yet"
        self._filtered = np.zeros(self._n)
        self._out = np.zeros(self._n)
        self._request = np.zeros(self._n)
        self._request_time: float | None = None
        self._sensor_time: float | None = None
        self._invalid = ""
        self._fault: tuple[float, str] | None = None
        self._transparent = False
        self._still_since: float | None = None
        self._enabled_at: float | None = None
        self._skip_ramp = ramped
        self._last_update = now

    def on_sensors(self, now: float, thigh_angles: ArrayLike, thigh_velocities: ArrayLike) -> None:
        """A thigh IMU reading at `now`: angles from vertical [rad], rates [rad/s]."""
        angles = np.asarray(thigh_angles, dtype=float)
        rates = np.asarray(thigh_velocities, dtype=float)
        largest_angle, largest_rate = float(np.abs(angles).max()), float(np.abs(rates).max())
        if not (math.isfinite(largest_angle) and math.isfinite(largest_rate)):
            self._invalid = f"non-finite thigh reading (angles {angles}, rates {rates})"
            return
        if self._invalid.startswith("non-finite thigh"):
            self._invalid = ""
        self._sensor_time = now
        c = self.config
        still = largest_angle < c.standstill_angle and largest_rate < c.standstill_speed
        if not still:
            self._still_since = None
        elif self._still_since is None:
            self._still_since = now

    def on_command(self, now: float, torques: ArrayLike) -> None:
        """The requested assistance at `now` [N m], one per joint."""
        tau = np.asarray(torques, dtype=float)
        if tau.shape != (self._n,):
            raise ValueError(f"expected {self._n} torques, got shape {tau.shape}")
        if not np.isfinite(tau).all():
            self._invalid = f"non-finite command {tau}"
            return
        if self._invalid.startswith("non-finite command"):
            self._invalid = ""
        self._request = tau.copy()
        self._request_time = now

    def set_transparent(self, on: bool) -> None:
        """Request zero torque (the device follows the wearer), or assistance again."""
        self._transparent = bool(on)

    def estop(self, now: float, reason: str = "requested") -> None:
        """Zero torque now and until `reset_estop`."""
        self._set_mode(AssistMode.ESTOP, now, f"e-stop: {reason}")
        self._hard_zero()

    def fault(self, now: float, reason: str) -> None:
        """A fault found elsewhere (e.g. a non-finite observation in the policy node): zero
        torque now, and until `command_timeout_s` passes without another report (a fault
        that persists is reported again each cycle); then assistance ramps in again.
        Changes nothing while the e-stop is latched."""
        self._fault = (now, reason)
        if self._mode is not AssistMode.ESTOP:
            self._set_mode(AssistMode.FAULT, now, f"fault: {reason}")
            self._hard_zero()

    def reset_estop(self, now: float) -> None:
        """Release a latched e-stop; assistance ramps in again once data is fresh."""
        if self._mode is AssistMode.ESTOP:
            self._set_mode(AssistMode.STALE, now, "e-stop reset; waiting for fresh data")

    # ------------------------------------------------------------------ output
    def update(self, now: float) -> np.ndarray:
        """The actuator torques for `now` [N m] (call at the actuator rate)."""
        dt = max(now - self._last_update, 0.0)
        self._last_update = now
        mode, reason = self._decide(now)
        if mode is not self._mode:
            self._set_mode(mode, now, reason)
        if mode in _HARD:
            self._hard_zero()
            return self._out.copy()
        c = self.config
        # minimum/maximum rather than np.clip: same result, a fraction of the call overhead
        # (this runs at the actuator rate, in training at every physics step).
        limit = c.torque_limit
        if mode is AssistMode.ASSIST:
            target = np.maximum(np.minimum(self._request, limit), -limit)
        else:
            target = np.zeros(self._n)
        alpha = dt / (self._tau + dt) if dt > 0.0 else 0.0
        self._filtered += alpha * (target - self._filtered)
        gain = self.ramp_gain(now) if mode is AssistMode.ASSIST else 1.0
        step = c.slew_rate * dt
        self._out += np.maximum(np.minimum(gain * self._filtered - self._out, step), -step)
        np.maximum(np.minimum(self._out, limit, out=self._out), -limit, out=self._out)
        return self._out.copy()

    # ------------------------------------------------------------------ internals
    def _decide(self, now: float) -> tuple[AssistMode, str]:
        c = self.config
        if self._mode is AssistMode.ESTOP:
            return AssistMode.ESTOP, self._reason
        if self._invalid:
            return AssistMode.FAULT, self._invalid
        if self._fault is not None and now - self._fault[0] <= c.command_timeout_s:
            return AssistMode.FAULT, f"fault: {self._fault[1]}"
        if self._sensor_time is None or now - self._sensor_time > c.sensor_timeout_s:
            age = "none yet" if self._sensor_time is None else f"{now - self._sensor_time:.3f} s"
            return AssistMode.STALE, f"thigh data {age} old (limit {c.sensor_timeout_s} s)"
        if self._request_time is None or now - self._request_time > c.command_timeout_s:
            age = "none yet" if self._request_time is None else f"{now - self._request_time:.3f} s"
            return AssistMode.STALE, f"command {age} old (limit {c.command_timeout_s} s)"
        if self._transparent:
            return AssistMode.TRANSPARENT, "transparent mode requested"
        if self._still_since is not None and now - self._still_since >= c.standstill_time_s:
            return AssistMode.STANDSTILL, (
                f"thighs within {c.standstill_angle} rad of vertical and slower than "
                f"{c.standstill_speed} rad/s for {c.standstill_time_s} s"
            )
        return AssistMode.ASSIST, "inputs fresh and valid"

    def _set_mode(self, mode: AssistMode, now: float, reason: str) -> None:
        if mode is AssistMode.ASSIST:
            # Resuming from any zero mode ramps in again (unless reset said otherwise).
            self._enabled_at = now - (self.config.ramp_in_s if self._skip_ramp else 0.0)
            self._skip_ramp = False
        else:
            self._enabled_at = None
        if mode is not self._mode:
            self._log(f"assistance: {self._mode.value} -> {mode.value} at {now:.3f} s ({reason})")
        self._mode, self._reason = mode, reason

    def _hard_zero(self) -> None:
        self._filtered[:] = 0.0
        self._out[:] = 0.0
