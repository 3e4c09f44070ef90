"""The hardware bridge's logic without ROS: lifecycle, soft start, watchdog, limits, faults.

Lifecycle (ros2_control's)::

    UNCONFIGURED --configure--> INACTIVE --activate--> SOFT_START --> RUNNING
         ^                         |  ^                    |
         +--------cleanup----------+  +----deactivate------+

* configure: open the buses, ping every motor (an exit-motor-mode frame, which leaves it
  out of motor mode and makes it answer), check ids, error codes, temperatures and that
  each joint reads inside its range (a wrong zero offset or direction shows here).
* INACTIVE: motors out of motor mode; states are read every cycle, commands refused.
* activate: enter motor mode; SOFT_START blends, over `soft_start`, from holding the pose
  measured at activation (the motors' own PD, target = that pose) into the effort
  commands, so nothing jumps whatever the first command is.
* deactivate / cleanup / shutdown: every motor damps for `exit_damping`, then leaves
  motor mode.

Safety, while active:

* watchdog: no effort command for `effort_timeout` -> DAMPING (motor-side damping only)
  for `watchdog_damping`, then ZERO_TORQUE; fresh commands resume through a soft start.
* commands: an effort per joint, or (`set_command`) a PD target that the motors' own
  firmware tracks with the profile's gains (MIT mode: p*, v*, kp, kd, t_ff), or pure
  damping. Motor-side PD is what lets a stiff joint loop survive the host's latency.
* limits: efforts are clamped to each joint's torque limit (hardware config and robot
  profile) before encoding, PD and hold targets to the joint range; for motor-side PD,
  the target is pulled toward the measured position so the torque it asks for at the
  latest measurement stays within the limit. A measured position beyond the range
  (+ `position_margin`) or speed beyond the joint's limit is a fault.
* faults (a motor not replying, a firmware error code, over-temperature, a bus error, the
  checks above) -> FAULT: every motor damps for `exit_damping`, then leaves motor mode;
  one log line names the joint and the value. Latched until cleanup.
* e-stop -> every motor leaves motor mode at once (zero torque); latched until cleanup.

Times are seconds on the caller's clock (`now`), except the blocking damping of
deactivate/cleanup/shutdown, which waits in wall time. Joint arrays are in profile order.
"""

from __future__ import annotations

import enum
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from legkit.control.supervisor import JointCommand
from legkit.hardware.config import HardwareConfig
from legkit.hardware.mit_protocol import ZERO_TORQUE, MitCommand, MitReply
from legkit.hardware.motor_bus import BusOpener, FaultKind, MotorBus, MotorFault
from legkit.robots.profile import RobotProfile

_CONFIGURE_ATTEMPTS = 3
"""Pings (and enter frames) sent before a silent motor counts as absent."""


class Mode(str, enum.Enum):
    UNCONFIGURED = "UNCONFIGURED"
    """No bus open."""
    INACTIVE = "INACTIVE"
    """Motors found and out of motor mode; states read, effort commands refused."""
    SOFT_START = "SOFT_START"
    """Motor mode; blending from holding the measured pose into the effort commands."""
    RUNNING = "RUNNING"
    """Motor mode; effort commands applied."""
    DAMPING = "DAMPING"
    """Effort commands stopped: motors damp until commands resume or `watchdog_damping`."""
    ZERO_TORQUE = "ZERO_TORQUE"
    """Effort commands still absent after the damping: zero torque, still in motor mode."""
    FAULT = "FAULT"
    """Motors damp, then leave motor mode; latched until cleanup."""
    ESTOP = "ESTOP"
    """Motors out of motor mode; latched until cleanup."""


ACTIVE_MODES = (Mode.SOFT_START, Mode.RUNNING, Mode.DAMPING, Mode.ZERO_TORQUE)
"""Modes in which effort commands are accepted."""


@dataclass(frozen=True)
class BridgeSettings:
    """Timing and safety thresholds of the hardware bridge."""

    control_period: float = 0.004
    """One command/reply exchange with every motor per period [s]."""
    effort_timeout: float = 0.05
    """No effort command for this long -> DAMPING [s]."""
    watchdog_damping: float = 1.0
    """Damping after an effort timeout before zero torque [s]."""
    soft_start: float = 0.5
    """Blend from holding the measured pose into the effort commands [s]."""
    exit_damping: float = 0.5
    """Damping before leaving motor mode, after a fault and on deactivate [s]."""
    reply_timeout: float = 0.003
    """How long one exchange waits for the last reply [s]."""
    max_missed_replies: int = 3
    """Consecutive exchanges a motor may miss before it counts as not replying."""
    max_temperature_c: float = 80.0
    """A motor reporting this temperature or more is a fault [degrees C]."""
    position_margin: float = 0.2
    """A joint measured this far beyond its range is a fault [rad]."""

    def __post_init__(self) -> None:
        for name in ("control_period", "effort_timeout", "soft_start", "reply_timeout"):
            if not 0.0 < getattr(self, name) < math.inf:
                raise ValueError(f"{name} must be a positive time [s], got {getattr(self, name)}")
        for name in ("watchdog_damping", "exit_damping", "position_margin"):
            if not 0.0 <= getattr(self, name) < math.inf:
                raise ValueError(f"{name} must be finite and >= 0, got {getattr(self, name)}")
        if self.max_missed_replies < 1:
            raise ValueError(f"max_missed_replies must be >= 1, got {self.max_missed_replies}")


@dataclass
class JointReading:
    """The latest measured joint state (profile order); a motor that did not answer this
    cycle keeps its previous values."""

    positions: np.ndarray
    """[rad]"""
    velocities: np.ndarray
    """[rad/s]"""
    efforts: np.ndarray
    """Measured torque [N m]."""
    replied: int
    """Motors that answered this cycle."""


class HardwareError(RuntimeError):
    """configure or activate refused; the message names each motor and value at fault."""


class HardwareInterface:
    """One robot's motors behind the lifecycle and safety rules of the module docstring."""

    def __init__(
        self,
        profile: RobotProfile,
        config: HardwareConfig,
        settings: BridgeSettings,
        open_bus: BusOpener,
        log: Callable[[str], None] = print,
    ) -> None:
        """Args:
        profile: Joint order, ranges, speed and effort limits, PD gains, damping.
        config: The motor of every joint (validated against `profile`).
        settings: Timing and safety thresholds.
        open_bus: Opens a bus by its config name (socketcan on a robot, virtual in tests).
        log: Receives one line per transition or fault; fault lines start with "FAULT",
            e-stop lines with "ESTOP", watchdog lines with "WATCHDOG".
        """
        if config.robot != profile.name:
            raise ValueError(f"hardware config is for '{config.robot}', not '{profile.name}'")
        self.profile, self.config, self.settings = profile, config, settings
        self._open_bus = open_bus
        self._log = log
        self._motors = config.motors
        self._n = n = len(self._motors)
        self._dir, self._ratio, self._offset = config.arrays()
        self._lower, self._upper = profile.lower_limits, profile.upper_limits
        self._velocity_limit = profile.velocity_limits
        self._torque_limit = np.minimum(
            [m.torque_limit for m in self._motors], profile.effort_limits
        )
        # Motor-side gains: a joint stiffness k through ratio G is k / G^2 at the motor.
        ratio2 = self._ratio**2
        self._damping = [MitCommand(kd=kd) for kd in (profile.damping_kd / ratio2).tolist()]

        self._bus: MotorBus | None = None
        self._mode = Mode.UNCONFIGURED
        self._fault: MotorFault | None = None
        self._estop_reason = ""
        self._exit_at = 0.0
        self._motors_out = True  # every motor confirmed (or commanded) out of motor mode

        self._q = np.zeros(n)
        self._qd = np.zeros(n)
        self._tau = np.zeros(n)
        self._replied = 0
        self._max_temperature: float | None = None

        # Latest command, joint side: PD target, velocity target, gains, feed-forward.
        self._cmd_p = np.zeros(n)
        self._cmd_v = np.zeros(n)
        self._cmd_kp = np.zeros(n)
        self._cmd_kd = np.zeros(n)
        self._cmd_t = np.zeros(n)
        self._last_effort = -math.inf
        self._hold_joint = np.zeros(n)  # soft-start hold pose [rad]
        self._soft_start_at = 0.0
        self._damping_since = 0.0
        self._refusal_logged = False
        self._non_finite_logged = False

    # ------------------------------------------------------------------ queries

    @property
    def mode(self) -> Mode:
        return self._mode

    @property
    def fault(self) -> MotorFault | None:
        """The fault that latched FAULT, if any."""
        return self._fault

    @property
    def motor_bus(self) -> MotorBus | None:
        return self._bus

    @property
    def max_temperature(self) -> float | None:
        """Hottest motor in the latest replies [degrees C] (None if none reported)."""
        return self._max_temperature

    def not_applying_commands(self) -> str:
        """Why effort commands are not reaching the joints now; "" when they are."""
        mode = self._mode
        if mode in (Mode.SOFT_START, Mode.RUNNING):
            return ""
        return {
            Mode.UNCONFIGURED: "hardware bridge not configured",
            Mode.INACTIVE: "hardware bridge inactive: motors out of motor mode",
            Mode.DAMPING: "hardware bridge watchdog: no effort commands, motors damping",
            Mode.ZERO_TORQUE: "hardware bridge watchdog: no effort commands, zero torque",
            Mode.FAULT: f"hardware fault {self._fault}",
            Mode.ESTOP: f"hardware e-stop latched ({self._estop_reason})",
        }[mode]

    def reading(self) -> JointReading:
        return JointReading(self._q.copy(), self._qd.copy(), self._tau.copy(), self._replied)

    # ------------------------------------------------------------------ lifecycle

    def configure(self) -> None:
        """Open the buses and check every motor; HardwareError (buses closed) if any fails."""
        if self._mode is not Mode.UNCONFIGURED:
            raise HardwareError(f"configure refused: already configured ({self._mode.value})")
        buses = {}
        try:
            for name in self.config.buses:
                buses[name] = self._open_bus(name)
        except Exception as err:  # python-can raises OSError, CanError, ValueError...
            for bus in buses.values():
                bus.shutdown()
            raise HardwareError(f"cannot open CAN bus '{name}': {err}") from None
        s = self.settings
        self._bus = MotorBus(self._motors, buses, s.reply_timeout, s.max_missed_replies)
        replies = self._until_all_reply(lambda: self._bus.exit_motor_mode(linger=s.reply_timeout))
        problems = self._startup_problems(replies, "ping")
        if problems:
            self._bus.close()
            self._bus = None
            raise HardwareError("configure failed: " + "; ".join(problems))
        self._update(replies)
        self._mode = Mode.INACTIVE
        hottest = (
            "" if self._max_temperature is None else f", hottest {self._max_temperature:.0f} C"
        )
        self._log(
            f"configured: {self._n} motors answered on {', '.join(self.config.buses)}"
            f"{hottest}; motors out of motor mode"
        )

    def activate(self, now: float) -> None:
        """Enter motor mode and start the soft start; HardwareError (motors out) if refused."""
        if self._mode in (Mode.FAULT, Mode.ESTOP):
            why = self._fault if self._mode is Mode.FAULT else self._estop_reason
            raise HardwareError(
                f"activate refused: {self._mode.value} latched ({why}); clean up and configure"
            )
        if self._mode is not Mode.INACTIVE:
            raise HardwareError(f"activate refused in {self._mode.value}")
        self._motors_out = False
        replies = self._until_all_reply(self._bus.enter_motor_mode)
        problems = self._startup_problems(replies, "enter motor mode")
        if problems:
            self._exit_all()
            raise HardwareError(
                "activate failed, motors back out of motor mode: " + "; ".join(problems)
            )
        self._update(replies)
        for arr in (self._cmd_p, self._cmd_v, self._cmd_kp, self._cmd_kd, self._cmd_t):
            arr[:] = 0.0  # until the first command: hold the measured pose
        self._last_effort = now
        self._refusal_logged = self._non_finite_logged = False
        self._start_soft_start(now)
        self._log(
            f"activated: {self._n} motors in motor mode; soft start over "
            f"{self.settings.soft_start:.2f} s from the measured pose"
        )

    def deactivate(self) -> None:
        """Damping for `exit_damping`, then out of motor mode (blocks that long)."""
        if self._mode in ACTIVE_MODES:
            self._log(
                f"deactivating: all motors damping for {self.settings.exit_damping:.2f} s, "
                "then out of motor mode"
            )
            self._damp_then_exit()
            self._mode = Mode.INACTIVE
        elif self._mode is Mode.FAULT and not self._motors_out:
            self._damp_then_exit()

    def cleanup(self) -> None:
        """Leave motor mode if needed, close the buses, forget any latch."""
        if self._mode is Mode.UNCONFIGURED:
            return
        self.deactivate()
        self._exit_all()
        self._bus.close()
        self._bus = None
        self._mode = Mode.UNCONFIGURED
        self._fault = None
        self._estop_reason = ""
        self._log("cleaned up: motors out of motor mode, buses closed")

    def shutdown(self) -> None:
        """Whatever the mode: motors out of motor mode (after damping if active), buses closed."""
        self.cleanup()

    def estop(self, reason: str) -> None:
        """Every motor out of motor mode now (zero torque); latched until cleanup."""
        if self._mode is Mode.UNCONFIGURED:
            self._log(f"e-stop ({reason}) ignored: not configured, motors not in motor mode")
            return
        if self._mode is Mode.ESTOP:
            return
        self._mode = Mode.ESTOP
        self._estop_reason = reason
        unconfirmed = self._exit_all()
        self._log(
            f"ESTOP {reason}: {self._n - len(unconfirmed)} of {self._n} motors confirmed out of "
            f"motor mode (zero torque){_unconfirmed(unconfirmed)}; latched until cleanup"
        )

    # ------------------------------------------------------------------ commands

    def set_effort(self, now: float, effort: np.ndarray) -> bool:
        """Joint torques [N m] to apply from now on; see `set_command`."""
        return self.set_command(now, JointCommand(effort=effort))

    def set_command(self, now: float, command: JointCommand) -> bool:
        """A joint command to apply from now on; False (refused) unless active.

        Targets are clamped to each joint's range and feed-forward torques to its limit;
        a command with any non-finite value is dropped whole (the watchdog then sees no
        command). After a watchdog stop, a command resumes the motors through a soft
        start from the measured pose.
        """
        if self._mode not in ACTIVE_MODES:
            if not self._refusal_logged:
                self._refusal_logged = True
                self._log(f"effort commands refused: {self.not_applying_commands()}")
            return False
        zeros = np.zeros(self._n)
        fields = {
            "position": command.position,
            "velocity": command.velocity,
            "effort": command.effort,
        }
        arrays = {k: np.asarray(v, dtype=float) for k, v in fields.items() if v is not None}
        for what, values in arrays.items():
            if not np.isfinite(values).all():
                if not self._non_finite_logged:
                    self._non_finite_logged = True
                    j = int(np.argmin(np.isfinite(values)))
                    self._log(
                        f"{what} command dropped: {self.profile.joint_names[j]}={values[j]} "
                        "is not finite"
                    )
                return False
        self._cmd_t = np.clip(arrays.get("effort", zeros), -self._torque_limit, self._torque_limit)
        self._cmd_v = arrays.get("velocity", zeros)
        if "position" in arrays:
            self._cmd_p = np.clip(arrays["position"], self._lower, self._upper)
            self._cmd_kp, self._cmd_kd = self.profile.kp.copy(), self.profile.kd.copy()
        else:
            self._cmd_p = zeros
            self._cmd_kp = zeros
            self._cmd_kd = (
                self.profile.damping_kd * np.ones(self._n) if "velocity" in arrays else zeros
            )
        self._last_effort = now
        if self._mode in (Mode.DAMPING, Mode.ZERO_TORQUE):
            self._log("effort commands resumed: soft start from the measured pose")
            self._start_soft_start(now)
        return True

    # ------------------------------------------------------------------ the cycle

    def cycle(self, now: float) -> JointReading:
        """One exchange with every motor at time `now`; the measured joint state."""
        mode = self._mode
        if mode is Mode.UNCONFIGURED:
            return self.reading()
        if mode is Mode.FAULT and not self._motors_out and now >= self._exit_at:
            self._finish_fault_exit()
        elif mode in (Mode.INACTIVE, Mode.ESTOP) or (mode is Mode.FAULT and self._motors_out):
            self._update(self._bus.exit_motor_mode())  # read only: keeps them out
        elif mode is Mode.FAULT:
            self._update(self._bus.command(self._damping))
        else:
            self._check_watchdog(now)
            replies = self._bus.command(self._commands(now))
            self._update(replies)
            faults = self._bus.faults(replies, self.settings.max_temperature_c)
            faults += self._range_faults(replies)
            if faults:
                self._enter_fault(now, faults)
        return self.reading()

    def _commands(self, now: float) -> list[MitCommand]:
        mode = self._mode
        if mode is Mode.SOFT_START:
            progress = (now - self._soft_start_at) / self.settings.soft_start
            if progress >= 1.0:
                self._mode = Mode.RUNNING
                self._log("soft start complete: applying effort commands")
            else:
                s = max(progress, 0.0)
                return self._encode(s * s * (3.0 - 2.0 * s))  # smoothstep: no jerk at the ends
        if self._mode is Mode.RUNNING:
            return self._encode(1.0)
        if mode is Mode.DAMPING:
            return self._damping
        return [ZERO_TORQUE] * self._n

    def _encode(self, s: float) -> list[MitCommand]:
        """The latest command blended with holding the soft-start pose (weight 1 - s),
        torque-limited at the latest measurement, as motor-side MIT commands.

        Two PD laws blend into one: kp = (1-s) kp_h + s kp_c, and the target is the
        stiffness-weighted mean of the two targets (likewise for damping).
        """
        kp_h = (1.0 - s) * self.profile.kp
        kd_h = (1.0 - s) * self.profile.kd
        kp = kp_h + s * self._cmd_kp
        kd = kd_h + s * self._cmd_kd
        hold = np.clip(self._hold_joint, self._lower, self._upper)
        with np.errstate(invalid="ignore", divide="ignore"):
            p = np.where(kp > 0.0, (kp_h * hold + s * self._cmd_kp * self._cmd_p) / kp, 0.0)
            v = np.where(kd > 0.0, s * self._cmd_kd * self._cmd_v / kd, 0.0)
        t = s * self._cmd_t
        # What the firmware will produce at the measured state; keep it within the limit
        # by moving the target (MIT firmware clamps only at the motor's own maximum).
        damping = kd * (v - self._qd)
        asked = kp * (p - self._q) + damping + t
        allowed = np.clip(asked, -self._torque_limit, self._torque_limit)
        over = asked != allowed
        if over.any():
            with np.errstate(invalid="ignore", divide="ignore"):
                p = np.where(over & (kp > 0.0), self._q + (allowed - damping - t) / kp, p)
                still = over & (kp == 0.0) & (kd > 0.0)
                v = np.where(still, self._qd + (allowed - t) / kd, v)
        d, g = self._dir, self._ratio
        g2 = g * g
        return [
            MitCommand(position=pm, velocity=vm, kp=kpm, kd=kdm, torque=tm)
            for pm, vm, kpm, kdm, tm in zip(
                (d * g * (p - self._offset)).tolist(),
                (d * g * v).tolist(),
                (kp / g2).tolist(),
                (kd / g2).tolist(),
                (d * t / g).tolist(),
                strict=True,
            )
        ]

    def _check_watchdog(self, now: float) -> None:
        s = self.settings
        if self._mode in (Mode.SOFT_START, Mode.RUNNING):
            silence = now - self._last_effort
            if silence > s.effort_timeout:
                self._mode = Mode.DAMPING
                self._damping_since = now
                self._log(
                    f"WATCHDOG no effort command for {silence * 1e3:.0f} ms "
                    f"(limit {s.effort_timeout * 1e3:.0f} ms): all motors damping for "
                    f"{s.watchdog_damping:.2f} s, then zero torque"
                )
        elif self._mode is Mode.DAMPING and now - self._damping_since >= s.watchdog_damping:
            self._mode = Mode.ZERO_TORQUE
            self._log("WATCHDOG still no effort command: zero torque (motors stay in motor mode)")

    # ------------------------------------------------------------------ faults

    def _range_faults(self, replies: list[MitReply | None]) -> list[MotorFault]:
        """Joints measured beyond their range (+ margin) or speed limit."""
        faults = []
        margin = self.settings.position_margin
        for i, reply in enumerate(replies):
            if reply is None:
                continue
            q, qd, m = self._q[i], self._qd[i], self._motors[i]
            lo, hi = self._lower[i], self._upper[i]
            if not lo - margin <= q <= hi + margin:
                faults.append(
                    MotorFault(
                        FaultKind.POSITION,
                        m.label,
                        f"position {q:.2f} rad outside [{lo:.2f}, {hi:.2f}] rad "
                        f"by more than {margin:.2f} rad",
                    )
                )
            if abs(qd) > self._velocity_limit[i]:
                faults.append(
                    MotorFault(
                        FaultKind.VELOCITY,
                        m.label,
                        f"velocity {qd:.1f} rad/s beyond limit {self._velocity_limit[i]:.1f} rad/s",
                    )
                )
        return faults

    def _enter_fault(self, now: float, faults: list[MotorFault]) -> None:
        self._mode = Mode.FAULT
        self._fault = faults[0]
        self._exit_at = now + self.settings.exit_damping
        more = (
            f" (and {len(faults) - 1} more: {'; '.join(map(str, faults[1:]))})"
            if faults[1:]
            else ""
        )
        self._log(
            f"FAULT {faults[0]}{more}: all {self._n} motors damping for "
            f"{self.settings.exit_damping:.2f} s, then out of motor mode; latched until cleanup"
        )

    def _finish_fault_exit(self) -> None:
        unconfirmed = self._exit_all()
        self._log(
            f"FAULT handling done: {self._n - len(unconfirmed)} of {self._n} motors confirmed "
            f"out of motor mode{_unconfirmed(unconfirmed)}"
        )

    def _startup_problems(self, replies: list[MitReply | None], what: str) -> list[str]:
        """Why the motors cannot be used, one item per motor (or bus), for configure/activate."""
        bus = self._bus
        problems = [
            f"{f}"
            for f in bus.faults(replies, self.settings.max_temperature_c)
            if f.kind is not FaultKind.NO_REPLY
        ]
        problems += [
            f"{m.label}: no reply to {what} (is a {m.model.name} with this id powered and "
            f"wired to {m.bus}?)"
            for m, r in zip(self._motors, replies, strict=True)
            if r is None and m.bus not in bus.bus_errors
        ]
        problems += [f"{label}: two motors answered to this id" for label in bus.duplicate_replies]
        self._update(replies)
        margin = self.settings.position_margin
        for i, r in enumerate(replies):
            lo, hi = self._lower[i], self._upper[i]
            if r is not None and not lo - margin <= self._q[i] <= hi + margin:
                problems.append(
                    f"{self._motors[i].label}: measured at {self._q[i]:.2f} rad, outside "
                    f"[{lo:.2f}, {hi:.2f}] rad by more than {margin:.2f} rad "
                    "(check its zero_offset and direction)"
                )
        return problems

    # ------------------------------------------------------------------ internals

    def _until_all_reply(self, send: Callable[[], list[MitReply | None]]) -> list[MitReply | None]:
        """`send` repeated (it must be idempotent) until every motor has answered once."""
        replies = send()
        for _ in range(_CONFIGURE_ATTEMPTS - 1):
            if all(r is not None for r in replies) or self._bus.bus_errors:
                break
            replies = [new or old for new, old in zip(send(), replies, strict=True)]
        return replies

    def _start_soft_start(self, now: float) -> None:
        self._hold_joint = np.clip(self._q, self._lower, self._upper)
        self._soft_start_at = now
        self._mode = Mode.SOFT_START

    def _damp_then_exit(self) -> None:
        end = time.monotonic() + self.settings.exit_damping
        while time.monotonic() < end:
            self._update(self._bus.command(self._damping))
            time.sleep(self.settings.control_period)
        self._exit_all()

    def _exit_all(self) -> list[str]:
        """Exit frames to every motor; the labels of those that did not confirm."""
        replies = self._until_all_reply(self._bus.exit_motor_mode)
        self._update(replies)
        self._motors_out = True
        return [m.label for m, r in zip(self._motors, replies, strict=True) if r is None]

    def _update(self, replies: list[MitReply | None]) -> None:
        replied = 0
        temperatures = []
        for i, r in enumerate(replies):
            if r is None:
                continue
            replied += 1
            d, g = self._dir[i], self._ratio[i]
            self._q[i] = d * r.position / g + self._offset[i]
            self._qd[i] = d * r.velocity / g
            self._tau[i] = d * r.torque * g
            if r.temperature is not None:
                temperatures.append(r.temperature)
        self._replied = replied
        if temperatures:
            self._max_temperature = max(temperatures)


def _unconfirmed(labels: list[str]) -> str:
    return f"; no confirmation from {', '.join(labels)}" if labels else ""
