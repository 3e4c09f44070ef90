"""Safety supervisor: decides what torque the joints get, and when to stop trusting inputs.

Modes::

    IDLE --(first valid joint state, or request_start)--> STANDUP --(ramp done and
    fresh target)--> ACTIVE

    IDLE / STANDUP / ACTIVE --(non-finite input, external fault, clock jumped back)--> DAMPING
    STANDUP / ACTIVE --(stale joint state; stale targets in ACTIVE)--> DAMPING
    IDLE / STANDUP / ACTIVE --(request_damping: the operator's "sit")--> DAMPING
    DAMPING --(request_start)--> STANDUP
    any --(estop)--> ESTOP --(reset_estop)--> IDLE

DAMPING and ESTOP are sticky: nothing but an explicit call leaves them, so a robot that
was stopped for a reason never starts moving again on its own. Every transition writes
exactly one log line saying from where, to where and why, so a field engineer can read
what happened from the log alone.

All times are in seconds on one monotonic clock chosen by the caller (``now``); joint
arrays are in profile order.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from legkit.control.pid import JointPid
from legkit.robots.profile import RobotProfile

# Watchdog timeouts are this many nominal message periods: one late message is
# tolerated, a sustained loss is not.
_TIMEOUT_PERIODS = 3
# Sim time advances in exact physics ticks; an age of exactly three periods must not
# read as "more than three" because of float round-off in the subtraction.
_TIME_EPS = 1e-6


def _fmt(value: float) -> str:
    """Angle for a log line: centiradians, or 3 significant digits when absurdly large."""
    return f"{value:.2f}" if abs(value) < 1e6 else f"{value:.3g}"


@dataclass(frozen=True)
class JointCommand:
    """A joint-level command for motor drivers that close the PD loop themselves.

    Which arrays are present says which law the driver runs, with the robot profile's
    gains (the profile is the one source of gains, on the host and in the driver)::

        position given:        tau = kp (position - q) + kd (velocity - qd) + effort
        only velocity given:   tau = damping_kd (velocity - qd) + effort
        neither:               tau = effort

    Arrays are in profile order.
    """

    position: np.ndarray | None = None
    """PD target [rad]."""
    velocity: np.ndarray | None = None
    """Velocity target [rad/s]."""
    effort: np.ndarray | None = None
    """Feed-forward torque [N m]; None = 0."""

    def torques(self, profile: RobotProfile, q: np.ndarray, qd: np.ndarray) -> np.ndarray:
        """What a driver running this command outputs at joint state (q, qd), clamped to
        the profile's effort limits (a simulator's stand-in for the motor firmware)."""
        tau = np.zeros(len(q)) if self.effort is None else np.array(self.effort, dtype=float)
        if self.position is not None:
            v = 0.0 if self.velocity is None else self.velocity
            tau += profile.kp * (self.position - q) + profile.kd * (v - qd)
        elif self.velocity is not None:
            tau += profile.damping_kd * (self.velocity - qd)
        return np.clip(tau, -profile.effort_limits, profile.effort_limits)


class Mode(str, enum.Enum):
    """What the supervisor commands."""

    IDLE = "IDLE"
    """Zero torque; waiting to be started."""
    STANDUP = "STANDUP"
    """PD ramp from the measured pose to the default pose."""
    ACTIVE = "ACTIVE"
    """PD toward the policy's joint targets."""
    DAMPING = "DAMPING"
    """Pure joint damping after a fault: the robot sinks down slowly instead of dropping."""
    ESTOP = "ESTOP"
    """Zero torque, latched until reset."""


@dataclass(frozen=True)
class SupervisorConfig:
    """Timing and safe-state parameters of a :class:`SafetySupervisor`."""

    state_timeout: float
    """Joint state older than this [s] in STANDUP/ACTIVE -> DAMPING."""
    target_timeout: float
    """Joint targets older than this [s] in ACTIVE -> DAMPING."""
    standup_duration: float
    """Ramp time from the measured pose to the default pose [s]."""
    damping_kd: float
    """DAMPING torque is ``-damping_kd * qd`` [N m s/rad]."""
    auto_start: bool = True
    """Leave the initial IDLE for STANDUP on the first valid joint state."""

    def __post_init__(self) -> None:
        for name in ("state_timeout", "target_timeout", "standup_duration"):
            value = getattr(self, name)
            if not 0.0 < value < math.inf:
                raise ValueError(f"{name} must be a positive finite time [s], got {value}")
        if not 0.0 <= self.damping_kd < math.inf:
            raise ValueError(f"damping_kd must be finite and non-negative, got {self.damping_kd}")

    @classmethod
    def for_profile(
        cls,
        profile: RobotProfile,
        *,
        state_period: float,
        target_period: float,
        auto_start: bool = True,
    ) -> SupervisorConfig:
        """Config for `profile` with timeouts of three message periods.

        Args:
            profile: Supplies ``standup_duration`` and ``damping_kd``.
            state_period: Nominal joint-state period [s] (0.002 at 500 Hz).
            target_period: Nominal policy period [s] (0.02 at 50 Hz).
            auto_start: See :attr:`auto_start`.
        """
        return cls(
            state_timeout=_TIMEOUT_PERIODS * state_period,
            target_timeout=_TIMEOUT_PERIODS * target_period,
            standup_duration=profile.standup_duration,
            damping_kd=profile.damping_kd,
            auto_start=auto_start,
        )


class SafetySupervisor:
    """Mode machine and torque source for one robot.

    Feed it every joint state (:meth:`on_joint_state`) and every policy target
    (:meth:`on_target`), and call :meth:`compute_torques` once per control period; that
    call also runs the watchdog. Whatever the inputs, the torques returned are finite and
    within the profile's effort limits.
    """

    def __init__(
        self,
        profile: RobotProfile,
        config: SupervisorConfig,
        log: Callable[[str], None] = print,
    ) -> None:
        """Start in IDLE with no joint state and no target.

        Args:
            profile: Joint order, limits, default pose and PD gains.
            config: Timeouts and safe-state parameters.
            log: Receives one human-readable line per transition, refusal or clamp.
        """
        self._profile = profile
        self._config = config
        self._log = log
        # Profile arrays are rebuilt on every property access; cache them once.
        n = profile.num_joints
        self._n = n
        self._names = profile.joint_names
        self._lower = profile.lower_limits
        self._upper = profile.upper_limits
        self._effort = profile.effort_limits
        self._neg_effort = -self._effort
        self._default = profile.default_positions
        self._pid = JointPid(profile.kp, profile.kd, self._effort)

        self._mode = Mode.IDLE
        self._reason = ""
        self._auto_start_pending = config.auto_start

        self._positions = np.zeros(n)
        self._velocities = np.zeros(n)
        self._state_time: float | None = None
        self._state_fault = ""  # why the latest state is unusable; "" when finite

        self._target = np.zeros(n)
        self._target_time: float | None = None
        self._target_clamped = np.zeros(n, dtype=bool)  # joints whose clamp was logged

        self._standup_start_pose = np.zeros(n)
        self._standup_delta = np.zeros(n)
        self._standup_start_time = 0.0

    # ------------------------------------------------------------------ queries

    @property
    def mode(self) -> Mode:
        """Current mode."""
        return self._mode

    @property
    def last_transition_reason(self) -> str:
        """Why the latest transition happened ("" before the first one)."""
        return self._reason

    # ------------------------------------------------------------------ inputs

    def on_joint_state(self, now: float, positions: ArrayLike, velocities: ArrayLike) -> None:
        """Record a measured joint state, received at `now` [s].

        Args:
            positions: q [rad], profile order.
            velocities: qd [rad/s], profile order.

        A non-finite value sends STANDUP/ACTIVE/IDLE to DAMPING; the first valid state
        auto-starts STANDUP when configured.
        """
        np.copyto(self._positions, self._checked("positions", positions))
        np.copyto(self._velocities, self._checked("velocities", velocities))
        self._state_time = now
        self._state_fault = self._non_finite_state()
        if self._state_fault:
            self._to_damping(now, self._state_fault)
        elif self._mode is Mode.IDLE and self._auto_start_pending:
            self._transition(Mode.STANDUP, now, "auto-start on first valid joint state")

    def on_target(self, now: float, positions: ArrayLike) -> None:
        """Record the policy's joint position targets [rad], received at `now` [s].

        Out-of-range targets are clamped to the joint limits (logged once per joint until
        it is back in range); a non-finite target means DAMPING. Ignored in ESTOP.
        """
        if self._mode is Mode.ESTOP:
            return
        target = self._checked("targets", positions)
        finite = np.isfinite(target)
        if not finite.all():
            j = int(np.argmin(finite))
            # Forget the last good target so it cannot count as fresh after a restart.
            self._target_time = None
            self._to_damping(now, f"non-finite target: {self._names[j]}={target[j]}")
            return
        np.minimum(target, self._upper, out=self._target)
        np.maximum(self._target, self._lower, out=self._target)
        out_of_range = self._target != target
        if out_of_range.any() or self._target_clamped.any():
            for j in np.flatnonzero(out_of_range & ~self._target_clamped):
                self._log(
                    f"target {self._names[j]}={_fmt(target[j])} rad outside "
                    f"[{_fmt(self._lower[j])}, {_fmt(self._upper[j])}], clamped"
                )
            np.copyto(self._target_clamped, out_of_range)
        self._target_time = now

    def fault(self, now: float, reason: str) -> None:
        """Report a fault found elsewhere (e.g. a NaN observation in the policy node)."""
        self._to_damping(now, f"external fault: {reason}")

    def clock_jumped_back(self, now: float, jump: float, seen_on: str = "clock") -> None:
        """The caller's clock went back by `jump` [s] (a simulator reset or restart, a
        replayed log, a stepped system clock), as `seen_on` says.

        Every input time recorded so far lies in the future of the new `now`, so a watchdog
        would read those inputs as fresh for as long as the jump. They are forgotten, and
        IDLE / STANDUP / ACTIVE go to DAMPING: zero torque until the next joint state,
        damping from then on; `request_start` stands the robot up on the new time line.
        """
        self._state_time = None
        self._target_time = None
        self._to_damping(now, f"clock jumped back by {jump:.3f} s (seen on {seen_on})")

    # ------------------------------------------------------------------ commands

    def request_start(self, now: float) -> bool:
        """Ask for STANDUP from IDLE or DAMPING; True when accepted.

        Refused (with a log line saying why) in ESTOP, when already starting or active,
        and without a fresh, finite joint state to start the ramp from.
        """
        refusal = ""
        if self._mode is Mode.ESTOP:
            refusal = "in ESTOP (reset the e-stop first)"
        elif self._mode in (Mode.STANDUP, Mode.ACTIVE):
            refusal = f"already in {self._mode.value}"
        elif self._state_time is None:
            refusal = "no joint state received yet"
        elif self._state_fault:
            refusal = f"latest joint state unusable: {self._state_fault}"
        elif now - self._state_time > self._config.state_timeout:
            refusal = "/joint_states " + self._stale(
                now - self._state_time, self._config.state_timeout
            )
        if refusal:
            self._log(f"start refused: {refusal}")
            return False
        self._transition(Mode.STANDUP, now, "start requested")
        return True

    def request_damping(self, now: float, reason: str) -> None:
        """An operator's "sit": DAMPING (the robot sinks down slowly), from any mode but ESTOP.

        Like a fault it is sticky; `request_start` stands the robot up again.
        """
        self._to_damping(now, reason)

    def estop(self, reason: str) -> None:
        """Latch ESTOP (zero torque) from any mode; a repeat while latched is ignored."""
        if self._mode is not Mode.ESTOP:
            self._transition(Mode.ESTOP, 0.0, f"e-stop: {reason}")

    def reset_estop(self) -> bool:
        """Release a latched e-stop to IDLE; False (and a log line) when not in ESTOP."""
        if self._mode is not Mode.ESTOP:
            self._log(f"e-stop reset ignored: not in ESTOP (mode {self._mode.value})")
            return False
        self._transition(Mode.IDLE, 0.0, "e-stop reset")
        return True

    def check_timeouts(self, now: float) -> None:
        """Watchdog: stale joint state in STANDUP/ACTIVE, or stale targets in ACTIVE -> DAMPING."""
        mode = self._mode
        if mode is not Mode.STANDUP and mode is not Mode.ACTIVE:
            return
        # Entering STANDUP needs a joint state and ACTIVE a target, so both times are set.
        state_age = now - self._state_time  # type: ignore[operator]
        if state_age > self._config.state_timeout + _TIME_EPS:
            self._to_damping(
                now, "/joint_states " + self._stale(state_age, self._config.state_timeout)
            )
        elif mode is Mode.ACTIVE:
            target_age = now - self._target_time  # type: ignore[operator]
            if target_age > self._config.target_timeout + _TIME_EPS:
                self._to_damping(
                    now, "joint targets " + self._stale(target_age, self._config.target_timeout)
                )

    # ------------------------------------------------------------------ output

    def compute_torques(self, now: float, dt: float) -> np.ndarray:
        """Joint torques [N m] for the control period ending at `now` [s], of length `dt` [s].

        Runs :meth:`check_timeouts` first. The result is a new array, always finite and
        within the profile's effort limits.

        Raises:
            ValueError: ``dt`` is not a positive finite number (checked in every mode, so
                a wrong caller fails on its first call, not on its first STANDUP).
        """
        if not 0.0 < dt < math.inf:
            raise ValueError(f"dt must be a positive finite time step [s], got {dt}")
        self.check_timeouts(now)
        mode = self._mode
        if mode is Mode.STANDUP:
            target = self._standup_target(now)
            if self._mode is Mode.ACTIVE:  # the ramp just handed over
                target = self._target
        elif mode is Mode.ACTIVE:
            target = self._target
        elif mode is Mode.DAMPING and self._state_time is not None:
            # Damping needs a velocity: a torque computed from a stale one would be held
            # on, pushing the robot, so a silent sensor gets zero torque instead.
            if now - self._state_time > self._config.state_timeout + _TIME_EPS:
                return np.zeros(self._n)
            return self._damping_torques()
        else:
            return np.zeros(self._n)
        tau = self._pid.compute(target, self._positions, self._velocities, dt)
        # Inputs are finite here, so this only trips on overflow of absurd measurements.
        if not np.isfinite(tau).all():
            self._to_damping(now, "non-finite PD torque")
            return self._damping_torques()
        return tau

    def compute_joint_command(self, now: float) -> JointCommand:
        """The same decision as :meth:`compute_torques`, for joints whose motor drivers run
        the PD law themselves (MIT mode) with the profile's gains: a PD target in STANDUP
        and ACTIVE, pure damping in DAMPING (nothing once the velocity is stale), nothing
        in IDLE and ESTOP. Runs :meth:`check_timeouts` first.

        The driver's loop is far faster than a host's, so the joint-level PD no longer
        waits on a bus round trip and a DDS hop every period.
        """
        self.check_timeouts(now)
        mode = self._mode
        zeros = np.zeros(self._n)
        if mode is Mode.STANDUP:
            target = self._standup_target(now)
            if self._mode is Mode.ACTIVE:
                target = self._target
        elif mode is Mode.ACTIVE:
            target = self._target
        elif mode is Mode.DAMPING and self._state_time is not None:
            if now - self._state_time > self._config.state_timeout + _TIME_EPS:
                return JointCommand(effort=zeros)
            return JointCommand(velocity=zeros, effort=zeros)
        else:
            return JointCommand(effort=zeros)
        return JointCommand(position=target.copy(), velocity=zeros, effort=zeros)

    # ------------------------------------------------------------------ internals

    def _standup_target(self, now: float) -> np.ndarray:
        """Ramp setpoint [rad]; hands over to ACTIVE once the ramp is done and a target is fresh."""
        progress = (now - self._standup_start_time) / self._config.standup_duration
        if progress < 1.0:
            s = max(progress, 0.0)
            # Smoothstep: zero velocity at both ends, so the ramp starts and ends without a jerk.
            return self._standup_start_pose + (s * s * (3.0 - 2.0 * s)) * self._standup_delta
        if self._target_time is not None and now - self._target_time <= self._config.target_timeout:
            self._transition(Mode.ACTIVE, now, "stand-up complete, policy targets fresh")
        return self._default

    def _damping_torques(self) -> np.ndarray:
        qd = self._velocities
        tau = np.where(np.isfinite(qd), qd * -self._config.damping_kd, 0.0)
        return np.maximum(np.minimum(tau, self._effort), self._neg_effort)

    def _to_damping(self, now: float, reason: str) -> None:
        # DAMPING and ESTOP already hold the robot safely; a further fault changes nothing.
        if self._mode is not Mode.DAMPING and self._mode is not Mode.ESTOP:
            self._transition(Mode.DAMPING, now, reason)

    def _transition(self, mode: Mode, now: float, reason: str) -> None:
        self._log(f"{self._mode.value} -> {mode.value}: {reason}")
        self._mode = mode
        self._reason = reason
        # auto_start is for the power-on IDLE only, whatever left it.
        self._auto_start_pending = False
        self._pid.reset()
        if mode is Mode.STANDUP:
            np.copyto(self._standup_start_pose, self._positions)
            np.subtract(self._default, self._positions, out=self._standup_delta)
            self._standup_start_time = now

    def _non_finite_state(self) -> str:
        """Reason naming the first non-finite joint value, or "" when all are finite."""
        for field, values in (("position", self._positions), ("velocity", self._velocities)):
            finite = np.isfinite(values)
            if not finite.all():
                j = int(np.argmin(finite))
                return f"non-finite joint state: {self._names[j]} {field}={values[j]}"
        return ""

    def _checked(self, what: str, values: ArrayLike) -> np.ndarray:
        arr = np.asarray(values, dtype=float)
        if arr.shape != (self._n,):
            raise ValueError(
                f"{what}: expected {self._n} values in profile '{self._profile.name}' order, "
                f"got shape {arr.shape}"
            )
        return arr

    @staticmethod
    def _stale(age: float, limit: float) -> str:
        return f"stale: {age * 1e3:.1f} ms > {limit * 1e3:.1f} ms"
