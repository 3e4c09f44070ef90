"""GamepadReader: opening a pad, reading it without blocking, losing it and getting it back.

A stand-in offers what python-evdev's InputDevice offers, so no device (and no evdev
package) is needed.
"""

from __future__ import annotations

import errno
from collections import namedtuple

from legkit.teleop import evdev_joy as ev
from legkit.teleop.gamepad_reader import GamepadReader

AbsInfo = namedtuple("AbsInfo", "value min max fuzz flat resolution")
Event = namedtuple("Event", "type code value")
STICK = dict(min=-32768, max=32767, fuzz=16, flat=128, resolution=0)


class StandInPad:
    """A two-axis, two-button pad; `unplugged` makes reads fail like a removed device."""

    def __init__(self, path: str, name: str = "Stand-in Pad", gamepad: bool = True) -> None:
        self.path, self.name, self.gamepad = path, name, gamepad
        self.queue: list[Event] = []
        self.values = {ev.ABS_X: 0, ev.ABS_Y: 0}
        self.pressed: list[int] = []
        self.unplugged = False
        self.closed = False

    def capabilities(self, absinfo: bool = True):
        if not self.gamepad:  # a keyboard
            return {ev.EV_KEY: [30, 31, 32]}
        axes = [(c, AbsInfo(v, **STICK)) if absinfo else c for c, v in self.values.items()]
        return {ev.EV_ABS: axes, ev.EV_KEY: [ev.BTN_SOUTH, ev.BTN_TL]}

    def absinfo(self, code: int) -> AbsInfo:
        return AbsInfo(self.values[code], **STICK)

    def active_keys(self) -> list[int]:
        return list(self.pressed)

    def read(self):
        if self.unplugged:
            raise OSError(errno.ENODEV, "No such device")
        if not self.queue:
            raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable")
        events, self.queue = self.queue, []
        return iter(events)

    def close(self) -> None:
        self.closed = True


class Rig:
    def __init__(self, *pads: StandInPad, device_path: str = "") -> None:
        self.pads = {p.path: p for p in pads}
        self.log: list[str] = []
        self.reader = GamepadReader(
            device_path,
            reconnect_period=1.0,
            info=self.log.append,
            warn=lambda line: self.log.append("WARN " + line),
            open_device=self.open,
            list_devices=lambda: list(self.pads),
        )

    def open(self, path: str) -> StandInPad:
        if path not in self.pads:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
        pad = self.pads[path]
        if pad.unplugged:
            raise OSError(errno.ENODEV, "No such device", path)
        pad.closed = False
        return pad


def test_the_first_gamepad_is_found_and_its_current_state_is_the_first_sample():
    keyboard = StandInPad("/dev/input/event0", "Keyboard", gamepad=False)
    pad = StandInPad("/dev/input/event3")
    pad.values[ev.ABS_Y] = -32768  # stick already pushed up
    pad.pressed = [ev.BTN_TL]
    rig = Rig(keyboard, pad)
    sample = rig.reader.poll(0.0)
    assert rig.reader.device is pad and keyboard.closed
    assert sample.axes[1] == 1.0 and sample.buttons == (0, 1)
    assert rig.log == ["gamepad 'Stand-in Pad' at /dev/input/event3: 2 axes, 2 buttons"]


def test_events_become_samples_and_no_events_means_no_sample():
    pad = StandInPad("/dev/input/event3")
    rig = Rig(pad, device_path=pad.path)
    rig.reader.poll(0.0)
    assert rig.reader.poll(0.01) is None  # nothing to read: no blocking, no sample
    pad.queue = [Event(ev.EV_KEY, ev.BTN_SOUTH, 1), Event(ev.EV_SYN, ev.SYN_REPORT, 0)]
    assert rig.reader.poll(0.02).buttons == (1, 0)


def test_an_unplugged_pad_gives_no_samples_and_is_reopened_when_back():
    pad = StandInPad("/dev/input/event3")
    rig = Rig(pad, device_path=pad.path)
    rig.reader.poll(0.0)
    pad.unplugged = True
    assert rig.reader.poll(0.1) is None
    assert not rig.reader.connected and pad.closed
    assert rig.log[-1].startswith("WARN gamepad /dev/input/event3 lost")
    for t in (0.2, 0.5, 1.05, 1.5, 2.1):  # retried once a second, logged once
        assert rig.reader.poll(t) is None
    assert sum("cannot open" in line for line in rig.log) == 1
    pad.unplugged = False
    pad.pressed = [ev.BTN_SOUTH]
    assert rig.reader.poll(2.2) is None  # before the next attempt
    sample = rig.reader.poll(3.2)
    assert rig.reader.connected and sample.buttons == (1, 0)


def test_no_gamepad_at_all_is_reported_once_and_retried():
    rig = Rig(StandInPad("/dev/input/event0", "Keyboard", gamepad=False))
    for t in range(5):
        assert rig.reader.poll(float(t)) is None
    assert rig.log == ["WARN no gamepad found among /dev/input/event* (is it plugged in?)"]


def test_a_permission_error_says_how_to_fix_it():
    def denied(path):
        raise PermissionError(errno.EACCES, "Permission denied", path)

    log: list[str] = []
    reader = GamepadReader(
        "/dev/input/event3", info=log.append, warn=log.append, open_device=denied
    )
    reader.poll(0.0)
    assert "Permission denied" in log[0] and "add the user to the 'input' group" in log[0]
