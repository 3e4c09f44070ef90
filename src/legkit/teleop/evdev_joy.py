"""Linux evdev input events -> the axes and buttons of a `sensor_msgs/Joy`.

Pure translation, no `evdev` package needed: events are (type, code, value) tuples
with the kernel's own codes (linux/input-event-codes.h), so recorded events can be
replayed in tests on any machine.

The result matches ROS's `joy_linux` on the same pad, so one pad profile serves
both readers:
- Axis and button indices follow the kernel's joydev order: axes by ascending ABS
  code; buttons with codes from BTN_JOYSTICK up first, then those from BTN_MISC up.
- Axis values are scaled from the device's [min, max] to [-1, 1] and negated, the
  ROS convention: stick up and stick left read +1, a released trigger reads +1.

A frame is complete at SYN_REPORT. After SYN_DROPPED (the kernel's buffer overran)
the events up to the next SYN_REPORT are discarded and the state must be read back
from the device (`needs_resync`, then `resync`), as the kernel documentation asks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# Event types and codes, from linux/input-event-codes.h.
EV_SYN = 0x00
EV_KEY = 0x01
EV_ABS = 0x03
SYN_REPORT = 0
SYN_DROPPED = 3

ABS_X, ABS_Y, ABS_Z = 0x00, 0x01, 0x02
ABS_RX, ABS_RY, ABS_RZ = 0x03, 0x04, 0x05
ABS_HAT0X, ABS_HAT0Y = 0x10, 0x11

BTN_MISC = 0x100
BTN_JOYSTICK = 0x120  # also BTN_TRIGGER: first button of a DirectInput pad
BTN_SOUTH = 0x130  # also BTN_A, BTN_GAMEPAD: first button of a gamepad
BTN_EAST = 0x131
BTN_NORTH = 0x133  # also BTN_X
BTN_WEST = 0x134  # also BTN_Y
BTN_TL, BTN_TR, BTN_TL2, BTN_TR2 = 0x136, 0x137, 0x138, 0x139
BTN_SELECT, BTN_START, BTN_MODE = 0x13A, 0x13B, 0x13C
BTN_THUMBL, BTN_THUMBR = 0x13D, 0x13E
KEY_MAX = 0x2FF


@dataclass(frozen=True)
class AbsRange:
    """The range the device reports for one absolute axis (from its absinfo)."""

    minimum: int
    maximum: int

    def normalize(self, value: int) -> float:
        """Raw value -> [-1, 1], negated to the ROS convention."""
        span = self.maximum - self.minimum
        if span <= 0:
            return 0.0
        unit = 2.0 * (value - self.minimum) / span - 1.0
        return -min(max(unit, -1.0), 1.0) + 0.0  # + 0.0: no -0.0 in messages


@dataclass(frozen=True)
class JoyLayout:
    """Which evdev code is which Joy axis and button, for one device."""

    axis_codes: tuple[int, ...]
    """ABS code of Joy axis i."""
    axis_ranges: tuple[AbsRange, ...]
    button_codes: tuple[int, ...]
    """KEY/BTN code of Joy button i."""

    @classmethod
    def from_capabilities(
        cls, abs_ranges: Mapping[int, AbsRange], keys: Iterable[int]
    ) -> JoyLayout:
        """The joydev order for a device with these ABS axes and keys."""
        axis_codes = tuple(sorted(abs_ranges))
        keys = {k for k in keys if BTN_MISC <= k <= KEY_MAX}
        button_codes = tuple(sorted(k for k in keys if k >= BTN_JOYSTICK)) + tuple(
            sorted(k for k in keys if k < BTN_JOYSTICK)
        )
        return cls(axis_codes, tuple(abs_ranges[c] for c in axis_codes), button_codes)


def looks_like_gamepad(abs_codes: Iterable[int], keys: Iterable[int]) -> bool:
    """A stick (ABS_X and ABS_Y) and at least one joystick or gamepad button."""
    abs_codes = set(abs_codes)
    return {ABS_X, ABS_Y} <= abs_codes and any(BTN_JOYSTICK <= k < 0x140 for k in keys)


class EvdevJoyTranslator:
    """Folds a device's event stream into Joy axes and buttons."""

    def __init__(self, layout: JoyLayout) -> None:
        self.layout = layout
        self._axis_index = {code: i for i, code in enumerate(layout.axis_codes)}
        self._button_index = {code: i for i, code in enumerate(layout.button_codes)}
        self.axes = [r.normalize((r.minimum + r.maximum) // 2) for r in layout.axis_ranges]
        self.buttons = [0] * len(layout.button_codes)
        self.needs_resync = False
        """True after SYN_DROPPED until `resync` is given the device's current state."""
        self._dropping = False

    def feed(self, event_type: int, code: int, value: int) -> bool:
        """Apply one event; True when it completes a frame worth publishing."""
        if event_type == EV_SYN:
            if code == SYN_DROPPED:
                self._dropping = True
                return False
            if code == SYN_REPORT:
                if self._dropping:
                    self._dropping = False
                    self.needs_resync = True
                    return False
                return not self.needs_resync
            return False
        if self._dropping:
            return False
        if event_type == EV_ABS and code in self._axis_index:
            i = self._axis_index[code]
            self.axes[i] = self.layout.axis_ranges[i].normalize(value)
        elif event_type == EV_KEY and code in self._button_index:
            self.buttons[self._button_index[code]] = 1 if value else 0  # 2 = autorepeat
        return False

    def resync(self, abs_values: Mapping[int, int], pressed: Iterable[int]) -> None:
        """Set the whole state from the device (EVIOCGABS / EVIOCGKEY)."""
        for code, i in self._axis_index.items():
            if code in abs_values:
                self.axes[i] = self.layout.axis_ranges[i].normalize(abs_values[code])
        pressed = set(pressed)
        self.buttons = [1 if code in pressed else 0 for code in self.layout.button_codes]
        self.needs_resync = False
