"""Keyboard teleop core: keys held by auto-repeat drive; letting go stops within `hold`."""

from __future__ import annotations

import pytest

from legkit.teleop import STOP, Action, JoyTeleop, TeleopConfig
from legkit.teleop.keyboard import KEYBOARD_PAD, KeyboardPad

REPEAT = 0.033  # s between a held key's auto-repeats (30 Hz)
TICK = 0.05


def drive(keys: KeyboardPad, teleop: JoyTeleop, presses: dict[float, str], until: float):
    """Ticks at 20 Hz; `presses` maps a time to the keys arriving just before that tick."""
    ticks, t = [], 0.0
    pending = sorted(presses.items())
    while t <= until + 1e-9:
        while pending and pending[0][0] <= t + 1e-9:
            keys.press(pending.pop(0)[1], t)
        actions = teleop.on_joy(t, *keys.sample(t))
        ticks.append((round(t, 3), teleop.update(t), actions))
        t += TICK
    return ticks


def held(key: str, start: float, stop: float) -> dict[float, str]:
    """A key held from `start` to `stop`: its auto-repeats."""
    n = int((stop - start) / REPEAT)
    return {round(start + i * REPEAT, 4): key for i in range(n + 1)}


def test_a_held_key_drives_and_letting_go_stops_within_the_hold_time():
    keys, teleop = KeyboardPad(hold=0.7), JoyTeleop(KEYBOARD_PAD, TeleopConfig())
    ticks = drive(keys, teleop, held("w", 0.0, 1.0), until=2.5)
    moving = [(t, v) for t, v, _ in ticks if v is not None and v != STOP]
    assert moving[-1][1].linear_x == pytest.approx(0.6)  # full deflection = the scale
    (stop,) = [t for t, v, _ in ticks if t > 1.0 and v == STOP]
    assert 1.0 + 0.7 <= stop <= 1.0 + 0.7 + TICK
    assert all(v is None for t, v, _ in ticks if t > stop)


@pytest.mark.parametrize(
    "key, axis, sign",
    [("w", 0, 1), ("s", 0, -1), ("a", 1, 1), ("d", 1, -1), ("q", 2, 1), ("e", 2, -1)],
)
def test_each_driving_key_moves_one_axis(key, axis, sign):
    keys = KeyboardPad()
    assert keys.press(key, 0.0)
    axes, buttons = keys.sample(0.0)
    assert axes[axis] == sign and sum(map(abs, axes)) == 1
    assert buttons[KEYBOARD_PAD.buttons["deadman"]] == 1


def test_action_keys_fire_once_and_stand_needs_no_separate_deadman():
    keys, teleop = KeyboardPad(), JoyTeleop(KEYBOARD_PAD, TeleopConfig())
    ticks = drive(keys, teleop, {0.1: "u", 1.0: " ", 1.02: " ", 2.0: "x"}, until=2.5)
    fired = [a for _, _, actions in ticks for a in actions]
    assert fired == [Action.STAND, Action.ESTOP, Action.SIT]


def test_unknown_keys_do_nothing():
    keys = KeyboardPad()
    assert not keys.press("z", 0.0)
    assert keys.sample(0.0) == ([0.0, 0.0, 0.0], [0, 0, 0, 0, 0])
