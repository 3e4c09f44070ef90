"""JoyTeleop: pad samples -> velocity commands and actions, as an operator would drive.

Pad recordings are written as segments of a held pad state (sticks, buttons held)
and played at joy_linux's 20 Hz, with the teleop ticking at 20 Hz in between.
"""

from __future__ import annotations

import dataclasses
import math

import pytest

from legkit import REPO_ROOT
from legkit.teleop import (
    STOP,
    Action,
    AxisBinding,
    AxisLimits,
    JoyTeleop,
    TeleopConfig,
    find_pad_profile,
)

PADS = REPO_ROOT / "ros2_ws" / "src" / "legkit_ros" / "config" / "pads"
XBOX = find_pad_profile("xbox", PADS)
LX, LY, RX = 0, 1, 3  # xbox axes: left stick x/y, right stick x
LB, B, Y, BACK, START = 4, 1, 3, 6, 7  # deadman, e-stop, reset, sit, stand
PERIOD = 0.05  # s: 20 Hz pad samples and teleop ticks
CONFIG = TeleopConfig(
    linear_x=AxisLimits(scale=0.6, limit=1.0, accel=1.0),
    linear_y=AxisLimits(scale=0.3, limit=0.5, accel=1.0),
    angular_z=AxisLimits(scale=1.0, limit=1.5, accel=2.0),
    joy_timeout=0.5,
)


def pad(held: tuple[int, ...] = (), **sticks: float) -> tuple[list[float], list[int]]:
    """One xbox sample: sticks by axis index name (lx, ly, rx), buttons held."""
    axes = [0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0]  # triggers rest at +1 (ROS convention)
    for name, value in sticks.items():
        axes[{"lx": LX, "ly": LY, "rx": RX}[name]] = value
    buttons = [0] * 11
    for b in held:
        buttons[b] = 1
    return axes, buttons


def play(teleop: JoyTeleop, recording, t0: float = 0.0):
    """Play (duration, sample or None) segments; None = the pad is silent.

    Returns the ticks as (t, published velocity or None, actions fired since the last tick).
    """
    out, t = [], t0
    for duration, sample in recording:
        for _ in range(round(duration / PERIOD)):
            actions = teleop.on_joy(t, *sample) if sample is not None else []
            out.append((round(t, 3), teleop.update(t), actions))
            t += PERIOD
    return out


def published(ticks):
    return [(t, v) for t, v, _ in ticks if v is not None]


def test_without_the_deadman_nothing_is_ever_published():
    teleop = JoyTeleop(XBOX, CONFIG)
    ticks = play(teleop, [(2.0, pad(ly=1.0, lx=-1.0, rx=1.0)), (1.0, pad(held=(B + 1,), ly=1.0))])
    assert published(ticks) == []


def test_full_stick_with_the_deadman_ramps_up_at_the_acceleration_limit_to_the_scale():
    teleop = JoyTeleop(XBOX, CONFIG)
    ticks = play(teleop, [(0.5, pad(ly=1.0)), (1.5, pad(held=(LB,), ly=1.0))])
    out = published(ticks)
    vx = [v.linear_x for _, v in out]
    assert out[0][0] == pytest.approx(0.5)  # the first tick with the deadman held
    steps = [b - a for a, b in zip(vx, vx[1:], strict=False)]
    assert max(steps) == pytest.approx(CONFIG.linear_x.accel * PERIOD)  # 0.05 m/s per tick
    assert vx[-1] == pytest.approx(0.6)  # scale at full deflection
    assert all(v.linear_y == 0.0 and v.angular_z == 0.0 for _, v in out)


def test_releasing_the_deadman_stops_at_once_with_one_zero_command_then_silence():
    teleop = JoyTeleop(XBOX, CONFIG)
    ticks = play(teleop, [(1.0, pad(held=(LB,), ly=1.0)), (1.0, pad(ly=1.0))])
    after = [v for t, v, _ in ticks if t >= 1.0]
    assert after[0] == STOP  # no deceleration ramp: the deadman is the stop
    assert all(v is None for v in after[1:])


def test_a_silent_pad_stops_the_robot_after_the_timeout_even_with_the_deadman_held():
    teleop = JoyTeleop(XBOX, CONFIG)
    ticks = play(teleop, [(1.0, pad(held=(LB,), ly=1.0)), (1.0, None)])
    last_sample = 0.95
    silent = [(t, v) for t, v, _ in ticks if t > last_sample]
    (stop,) = [t for t, v in silent if v == STOP]
    assert CONFIG.joy_timeout <= stop - last_sample + 1e-9 <= CONFIG.joy_timeout + PERIOD
    assert all(t < stop for t, v in silent if v not in (None, STOP))  # driving until then
    assert all(v is None for t, v in silent if t > stop)  # silence after
    assert teleop.status(2.0).startswith("pad silent")


def test_after_the_pad_comes_back_driving_restarts_from_zero():
    teleop = JoyTeleop(XBOX, CONFIG)
    ticks = play(teleop, [(1.0, pad(held=(LB,), ly=1.0)), (1.0, None)])
    ticks = play(teleop, [(0.5, pad(held=(LB,), ly=1.0))], t0=2.0)
    first = published(ticks)[0][1]
    # One acceleration step up from zero, not a jump back to the old 0.6 m/s.
    assert first.linear_x == pytest.approx(CONFIG.linear_x.accel * PERIOD)


def test_deadzone_scale_limit_and_sign_shape_each_axis():
    teleop = JoyTeleop(XBOX, CONFIG)
    teleop.on_joy(0.0, *pad(held=(LB,), ly=0.05, lx=0.55, rx=-1.0))
    vx, vy, yaw = teleop.target()
    assert vx == 0.0  # inside the 0.1 deadzone
    assert vy == pytest.approx(0.3 * (0.55 - 0.1) / 0.9)  # rescaled past the deadzone
    assert yaw == pytest.approx(-1.0)  # right stick right: clockwise

    capped = TeleopConfig(linear_x=AxisLimits(scale=2.0, limit=1.0, accel=1.0))
    teleop = JoyTeleop(XBOX, capped)
    teleop.on_joy(0.0, *pad(held=(LB,), ly=1.0))
    assert teleop.target()[0] == pytest.approx(1.0)

    flipped = dataclasses.replace(XBOX, axes={**XBOX.axes, "linear_x": AxisBinding(1, sign=-1.0)})
    teleop = JoyTeleop(flipped, CONFIG)
    teleop.on_joy(0.0, *pad(held=(LB,), ly=1.0))
    assert teleop.target()[0] == pytest.approx(-0.6)


def test_a_late_tick_does_not_turn_into_a_step():
    teleop = JoyTeleop(XBOX, CONFIG)
    teleop.on_joy(0.0, *pad(held=(LB,), ly=1.0))
    teleop.update(0.0)
    teleop.on_joy(0.4, *pad(held=(LB,), ly=1.0))
    v = teleop.update(0.4)  # 0.4 s late: integrated as at most 0.1 s
    assert v.linear_x == pytest.approx(0.1)


def test_buttons_act_on_the_press_and_only_once_while_held():
    teleop = JoyTeleop(XBOX, CONFIG)
    ticks = play(teleop, [(0.2, pad()), (0.5, pad(held=(B,))), (0.2, pad()), (0.2, pad(held=(B,)))])
    fired = [(t, a) for t, _, actions in ticks for a in actions]
    assert fired == [(0.2, Action.ESTOP), (0.9, Action.ESTOP)]


def test_the_estop_reads_as_held_while_its_button_is_down_on_a_live_pad():
    teleop = JoyTeleop(XBOX, CONFIG)
    play(teleop, [(0.1, pad()), (0.2, pad(held=(B,)))])
    assert teleop.held(Action.ESTOP, 0.25)  # so a node can send it again
    assert not teleop.held(Action.SIT, 0.25)
    assert not teleop.held(Action.ESTOP, 0.25 + CONFIG.joy_timeout + 0.1)  # the pad is lost
    play(teleop, [(0.1, pad())], t0=0.3)
    assert not teleop.held(Action.ESTOP, 0.35)


def test_estop_and_sit_need_no_deadman_but_stand_and_reset_do():
    teleop = JoyTeleop(XBOX, CONFIG)
    play(teleop, [(0.1, pad())])
    assert teleop.on_joy(0.1, *pad(held=(B, BACK))) == [Action.ESTOP, Action.SIT]
    assert teleop.on_joy(0.15, *pad(held=(START, Y))) == []
    assert teleop.ignored == [
        "stand (button 7) ignored: hold the deadman (button 4) with it",
        "reset (button 3) ignored: hold the deadman (button 4) with it",
    ]
    teleop.on_joy(0.2, *pad(held=(LB,)))
    assert teleop.on_joy(0.25, *pad(held=(LB, START))) == [Action.STAND]
    assert teleop.on_joy(0.3, *pad(held=(LB, START, Y))) == [Action.RESET]


def test_a_button_already_held_when_the_pad_appears_does_nothing():
    teleop = JoyTeleop(XBOX, CONFIG)
    ticks = play(teleop, [(0.5, pad(held=(B,)))])
    assert [a for _, _, actions in ticks for a in actions] == []
    play(teleop, [(1.0, None)], t0=0.5)  # lost, then back with the button still held
    ticks = play(teleop, [(0.5, pad(held=(B,)))], t0=1.5)
    assert [a for _, _, actions in ticks for a in actions] == []


def test_a_pad_with_fewer_axes_than_the_profile_is_refused_with_one_clear_reason():
    teleop = JoyTeleop(XBOX, CONFIG)
    play(teleop, [(0.5, pad(held=(LB,), ly=1.0))])
    assert teleop.on_joy(0.5, [0.0, 1.0], [0, 0, 0, 0, 1]) == []
    assert teleop.fault == (
        "pad profile 'xbox' reads axes up to 3 and buttons up to 7, but the pad sends "
        "2 axes and 5 buttons: is this the right profile?"
    )
    assert teleop.update(0.55) == STOP
    assert teleop.update(0.6) is None
    assert teleop.status(0.6).startswith("refusing pad input")


def test_non_finite_stick_values_are_refused():
    teleop = JoyTeleop(XBOX, CONFIG)
    teleop.on_joy(0.0, *pad(held=(LB,), ly=math.nan))
    assert teleop.fault == "non-finite values on axes [1]"
    assert teleop.update(0.0) is None


def test_shaping_parameters_are_checked():
    with pytest.raises(ValueError, match="teleop angular_z: accel must be a positive number"):
        TeleopConfig(angular_z=AxisLimits(scale=1.0, limit=1.0, accel=-1.0))
    with pytest.raises(ValueError, match=r"teleop scale needs 3 values"):
        TeleopConfig.from_lists([0.5, 0.5], [1, 1, 1], [1, 1, 1], 0.5)
    with pytest.raises(ValueError, match="joy_timeout must be positive"):
        TeleopConfig(joy_timeout=0.0)
