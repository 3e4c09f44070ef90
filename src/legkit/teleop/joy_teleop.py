"""Gamepad state -> velocity command and operator actions, with a deadman.

`JoyTeleop` is fed every pad sample (`on_joy`) and ticked at the command rate
(`update`). It drives only while the deadman button is held on a pad that is
still talking:

- stick -> command: deadzone, then `scale` (the command at full deflection), then
  clamped to `limit`; the command follows that target no faster than `accel`, so a
  flicked stick becomes a ramp the policy can track;
- deadman released, pad silent for `joy_timeout`, or a sample that does not fit
  the profile: the command drops to zero at once (no ramp: this is the stop) and one
  zero command is emitted; after that nothing, so another source may take over;
- buttons act on the press (a rising edge), never on the first sample after the pad
  (re)appears, so a button held while plugging in does nothing. E-stop and sit
  (damping) always act; stand-up and e-stop reset also need the deadman, because
  they put power back into the joints. The e-stop also reads as `held` for as long as
  its button stays down, so a node can send it again while it is held.

Times are seconds on one monotonic clock chosen by the caller.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from legkit.teleop.pads import COMMAND_AXES, PadProfile

MAX_STEP = 0.1
"""Longest time step the acceleration limiter integrates [s]. A tick that comes late
(a stalled process) must not let the command jump by accel * (long gap)."""


class Action(str, enum.Enum):
    """What a button press asks of the controller."""

    ESTOP = "estop"
    STAND = "stand"
    SIT = "sit"
    RESET = "reset"


@dataclass(frozen=True)
class AxisLimits:
    """Shaping of one command axis; units are m/s (linear) or rad/s (yaw)."""

    scale: float
    """Command at full stick deflection."""
    limit: float
    """The command's magnitude never exceeds this."""
    accel: float
    """The command changes no faster than this [per second]."""

    def check(self, axis: str) -> None:
        for key in ("scale", "limit", "accel"):
            value = getattr(self, key)
            if not (math.isfinite(value) and value > 0.0):
                raise ValueError(f"teleop {axis}: {key} must be a positive number, got {value}")


@dataclass(frozen=True)
class TeleopConfig:
    """Per-axis shaping and the pad timeout."""

    linear_x: AxisLimits = field(default_factory=lambda: AxisLimits(0.6, 1.0, 1.0))
    """Forward [m/s, m/s^2]."""
    linear_y: AxisLimits = field(default_factory=lambda: AxisLimits(0.3, 0.5, 1.0))
    """Sideways, left positive [m/s, m/s^2]."""
    angular_z: AxisLimits = field(default_factory=lambda: AxisLimits(1.0, 1.5, 2.0))
    """Yaw rate, counter-clockwise positive [rad/s, rad/s^2]."""
    joy_timeout: float = 0.5
    """A pad silent for longer than this [s] counts as lost: the command stops."""

    def __post_init__(self) -> None:
        for axis in COMMAND_AXES:
            getattr(self, axis).check(axis)
        if not (math.isfinite(self.joy_timeout) and self.joy_timeout > 0.0):
            raise ValueError(f"teleop joy_timeout must be positive, got {self.joy_timeout}")

    @classmethod
    def from_lists(
        cls,
        scale: Sequence[float],
        limit: Sequence[float],
        accel: Sequence[float],
        joy_timeout: float,
    ) -> TeleopConfig:
        """From three [linear_x, linear_y, angular_z] lists (how ROS parameters carry them)."""
        for key, values in (("scale", scale), ("limit", limit), ("accel", accel)):
            if len(values) != len(COMMAND_AXES):
                raise ValueError(
                    f"teleop {key} needs {len(COMMAND_AXES)} values "
                    f"[linear_x, linear_y, angular_z], got {list(values)}"
                )
        axes = {
            axis: AxisLimits(float(scale[i]), float(limit[i]), float(accel[i]))
            for i, axis in enumerate(COMMAND_AXES)
        }
        return cls(**axes, joy_timeout=float(joy_timeout))


@dataclass(frozen=True)
class Velocity:
    """A velocity command in the base frame (REP 103: x forward, y left, z up)."""

    linear_x: float = 0.0
    linear_y: float = 0.0
    angular_z: float = 0.0

    def as_tuple(self) -> tuple[float, float, float]:
        return (self.linear_x, self.linear_y, self.angular_z)


STOP = Velocity()


def apply_deadzone(value: float, deadzone: float) -> float:
    """Zero inside the deadzone, then rescaled so the output still spans [-1, 1]
    without a step at the deadzone's edge."""
    if abs(value) <= deadzone:
        return 0.0
    return math.copysign((min(abs(value), 1.0) - deadzone) / (1.0 - deadzone), value)


class JoyTeleop:
    """Deadman-gated, shaped velocity commands and button actions from pad samples."""

    def __init__(self, pad: PadProfile, config: TeleopConfig | None = None) -> None:
        self.pad = pad
        self.config = config if config is not None else TeleopConfig()
        self._axes: tuple[float, ...] | None = None  # last sample that fit the profile
        self._buttons: tuple[int, ...] | None = None
        self._last_sample: float | None = None
        self._last_update: float | None = None
        self._command = [0.0, 0.0, 0.0]
        self._driving = False
        self.fault: str | None = None
        """Why the last sample was refused (wrong pad profile, non-finite axes), else None."""
        self.ignored: list[str] = []
        """Button presses the last `on_joy` refused, each with the reason."""

    # ------------------------------------------------------------------ input
    def on_joy(self, now: float, axes: Sequence[float], buttons: Sequence[int]) -> list[Action]:
        """Take one pad sample; returns the actions whose buttons were just pressed."""
        self.ignored = []
        fault = self._check(axes, buttons)
        if fault:
            self.fault = fault
            self._axes = self._buttons = None  # a pad we cannot read does not drive
            return []
        self.fault = None
        previous = self._buttons if self.pad_alive(now) else None
        self._axes, self._buttons = tuple(axes), tuple(buttons)
        self._last_sample = now
        if previous is None:  # first sample from this pad: it only sets the baseline
            return []
        actions = []
        deadman = self._pressed("deadman")
        for action in Action:
            index = self.pad.buttons[action.value]
            if not (self._buttons[index] and not previous[index]):
                continue
            if action in (Action.STAND, Action.RESET) and not deadman:
                self.ignored.append(
                    f"{action.value} (button {index}) ignored: hold the deadman "
                    f"(button {self.pad.buttons['deadman']}) with it"
                )
                continue
            actions.append(action)
        return actions

    # ----------------------------------------------------------------- output
    def update(self, now: float) -> Velocity | None:
        """The command to publish now, or None when there is nothing to publish.

        While driving: the shaped, acceleration-limited command. On the tick driving
        stops: one zero command. Otherwise None.
        """
        dt = 0.0 if self._last_update is None else min(max(now - self._last_update, 0.0), MAX_STEP)
        self._last_update = now
        if not self.engaged(now):
            self._command = [0.0, 0.0, 0.0]
            if self._driving:
                self._driving = False
                return STOP
            return None
        self._driving = True
        target = self.target()
        for i, axis in enumerate(COMMAND_AXES):
            step = getattr(self.config, axis).accel * dt
            self._command[i] += min(max(target[i] - self._command[i], -step), step)
        return Velocity(*self._command)

    def engaged(self, now: float) -> bool:
        """True while a fresh sample that fits the profile has the deadman held."""
        return self.pad_alive(now) and self._buttons is not None and self._pressed("deadman")

    def held(self, action: Action, now: float) -> bool:
        """True while a fresh sample that fits the profile holds `action`'s button down."""
        return self.pad_alive(now) and self._pressed(action.value)

    def target(self) -> tuple[float, float, float]:
        """The shaped command the sticks ask for now (before acceleration limiting)."""
        if self._axes is None:
            return (0.0, 0.0, 0.0)
        out = []
        for axis in COMMAND_AXES:
            binding, limits = self.pad.axes[axis], getattr(self.config, axis)
            deflection = apply_deadzone(binding.sign * self._axes[binding.index], self.pad.deadzone)
            out.append(min(max(deflection * limits.scale, -limits.limit), limits.limit))
        return (out[0], out[1], out[2])

    def status(self, now: float) -> str:
        """One line for diagnostics: what the teleop is doing and why."""
        if self.fault:
            return f"refusing pad input: {self.fault}"
        if self._last_sample is None:
            return "waiting for the pad"
        if not self.pad_alive(now):
            return f"pad silent for {now - self._last_sample:.1f} s: stopped"
        if not self._pressed("deadman"):
            return f"deadman (button {self.pad.buttons['deadman']}) released: stopped"
        return "driving"

    # ---------------------------------------------------------------- helpers
    def pad_alive(self, now: float) -> bool:
        """True while the last pad sample is younger than `joy_timeout`."""
        return self._last_sample is not None and now - self._last_sample <= self.config.joy_timeout

    def _pressed(self, action: str) -> bool:
        return self._buttons is not None and bool(self._buttons[self.pad.buttons[action]])

    def _check(self, axes: Sequence[float], buttons: Sequence[int]) -> str:
        pad = self.pad
        if len(axes) < pad.axes_needed or len(buttons) < pad.buttons_needed:
            return (
                f"pad profile '{pad.name}' reads axes up to {pad.axes_needed - 1} and buttons "
                f"up to {pad.buttons_needed - 1}, but the pad sends {len(axes)} axes and "
                f"{len(buttons)} buttons: is this the right profile?"
            )
        bad = sorted(b.index for b in pad.axes.values() if not math.isfinite(axes[b.index]))
        if bad:
            return f"non-finite values on axes {bad}"
        return ""
