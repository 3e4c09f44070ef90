"""A gamepad read through Linux evdev, as a stream of Joy samples that survives unplugging.

The `evdev` package is imported only when a real device is opened, so everything
else (and the tests, with a stand-in device) works without it. A device object
needs what python-evdev's `InputDevice` offers: `name`, `path`,
`capabilities(absinfo=True)`, `absinfo(code)`, `active_keys()`, a non-blocking
`read()` (BlockingIOError when empty, OSError when unplugged) and `close()`.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from dataclasses import dataclass

from legkit.teleop.evdev_joy import (
    EV_ABS,
    EV_KEY,
    AbsRange,
    EvdevJoyTranslator,
    JoyLayout,
    looks_like_gamepad,
)


@dataclass(frozen=True)
class JoySample:
    """One complete pad state, ready for a `sensor_msgs/Joy`."""

    axes: tuple[float, ...]
    buttons: tuple[int, ...]


def _open_evdev(path: str):
    try:
        import evdev
    except ImportError as err:
        raise RuntimeError(
            "the joystick reader needs the Python package 'evdev' (pip install evdev; "
            "it builds against the Linux input headers)"
        ) from err
    return evdev.InputDevice(path)


def _list_evdev() -> list[str]:
    import evdev

    return list(evdev.list_devices())


class GamepadReader:
    """Opens a pad (a given /dev/input/event* path, or the first gamepad found), reads
    it without blocking, and reopens it after it disappears."""

    def __init__(
        self,
        device_path: str = "",
        reconnect_period: float = 1.0,
        info: Callable[[str], None] = print,
        warn: Callable[[str], None] = print,
        open_device: Callable[[str], object] = _open_evdev,
        list_devices: Callable[[], list[str]] = _list_evdev,
    ) -> None:
        self.device_path = device_path
        self.reconnect_period = reconnect_period
        self._info, self._warn = info, warn
        self._open = open_device
        self._list = list_devices
        self.device = None
        self._translator: EvdevJoyTranslator | None = None
        self._next_attempt = float("-inf")
        self._last_failure = ""

    @property
    def connected(self) -> bool:
        return self.device is not None

    def poll(self, now: float) -> JoySample | None:
        """The newest complete sample read since the last poll, or None.

        While no pad is open, tries to open one every `reconnect_period` seconds.
        """
        sample = None
        if self.device is None:
            if now < self._next_attempt:
                return None
            self._next_attempt = now + self.reconnect_period
            if not self._connect():
                return None
            sample = self._sample()  # the state just read back from the device
        try:
            for event in self.device.read():
                if self._translator.feed(event.type, event.code, event.value):
                    sample = self._sample()
            if self._translator.needs_resync:
                self._resync()
                sample = self._sample()
        except BlockingIOError:
            pass  # nothing more to read now
        except OSError as err:
            self._disconnect(err)
            return None
        return sample

    def close(self) -> None:
        if self.device is not None:
            self.device.close()
            self.device = None

    # ------------------------------------------------------------------ private
    def _sample(self) -> JoySample:
        return JoySample(tuple(self._translator.axes), tuple(self._translator.buttons))

    def _connect(self) -> bool:
        path = self.device_path
        try:
            path = path or self._find_gamepad()
            if not path:
                self._fail("no gamepad found among /dev/input/event* (is it plugged in?)")
                return False
            device = self._open(path)
            caps = device.capabilities(absinfo=True)
        except (OSError, RuntimeError) as err:
            hint = " (add the user to the 'input' group)" if _is(err, errno.EACCES) else ""
            self._fail(f"cannot open gamepad {path or 'in /dev/input'}: {err}{hint}")
            return False
        ranges = {code: AbsRange(info.min, info.max) for code, info in caps.get(EV_ABS, [])}
        layout = JoyLayout.from_capabilities(ranges, caps.get(EV_KEY, []))
        self.device, self._translator = device, EvdevJoyTranslator(layout)
        self._resync()
        self._last_failure = ""
        self._info(
            f"gamepad '{device.name}' at {device.path}: {len(layout.axis_codes)} axes, "
            f"{len(layout.button_codes)} buttons"
        )
        return True

    def _find_gamepad(self) -> str:
        for path in self._list():
            try:
                device = self._open(path)
            except (OSError, RuntimeError):
                continue
            try:
                caps = device.capabilities(absinfo=False)
                if looks_like_gamepad(caps.get(EV_ABS, []), caps.get(EV_KEY, [])):
                    return path
            finally:
                device.close()
        return ""

    def _resync(self) -> None:
        codes = self._translator.layout.axis_codes
        values = {code: self.device.absinfo(code).value for code in codes}
        self._translator.resync(values, self.device.active_keys())

    def _disconnect(self, err: OSError) -> None:
        self._warn(f"gamepad {self.device.path} lost ({err}): no more samples until it is back")
        try:
            self.device.close()
        except OSError:
            pass
        self.device = None
        self._last_failure = ""

    def _fail(self, line: str) -> None:
        if line != self._last_failure:  # once per distinct reason, not every retry
            self._last_failure = line
            self._warn(line)


def _is(err: BaseException, code: int) -> bool:
    return isinstance(err, OSError) and err.errno == code
