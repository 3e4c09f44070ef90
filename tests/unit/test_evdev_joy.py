"""evdev events -> Joy: joydev's layout, the ROS sign convention, frames, dropped events.

The event streams are written in the order the kernel delivers them (values, then
SYN_REPORT), with the real codes of linux/input-event-codes.h and the capabilities
the xpad, hid-playstation and hid-generic (Logitech F710 in D mode) drivers report.
"""

from __future__ import annotations

import pytest

from legkit import REPO_ROOT
from legkit.teleop import JoyTeleop, TeleopConfig, find_pad_profile
from legkit.teleop import evdev_joy as ev
from legkit.teleop.evdev_joy import AbsRange, EvdevJoyTranslator, JoyLayout

PADS = REPO_ROOT / "ros2_ws" / "src" / "legkit_ros" / "config" / "pads"

STICK = AbsRange(-32768, 32767)
TRIGGER = AbsRange(0, 255)
HAT = AbsRange(-1, 1)

XPAD_ABS = {
    ev.ABS_X: STICK,
    ev.ABS_Y: STICK,
    ev.ABS_Z: TRIGGER,
    ev.ABS_RX: STICK,
    ev.ABS_RY: STICK,
    ev.ABS_RZ: TRIGGER,
    ev.ABS_HAT0X: HAT,
    ev.ABS_HAT0Y: HAT,
}
XPAD_KEYS = [
    ev.BTN_SOUTH,  # A
    ev.BTN_EAST,  # B
    ev.BTN_NORTH,  # X
    ev.BTN_WEST,  # Y
    ev.BTN_TL,
    ev.BTN_TR,
    ev.BTN_SELECT,
    ev.BTN_START,
    ev.BTN_MODE,
    ev.BTN_THUMBL,
    ev.BTN_THUMBR,
]
# hid-generic, F710 switch on D: right stick on ABS_Z / ABS_RZ, 12 buttons from BTN_TRIGGER.
F710_ABS = {
    ev.ABS_X: AbsRange(0, 255),
    ev.ABS_Y: AbsRange(0, 255),
    ev.ABS_Z: AbsRange(0, 255),
    ev.ABS_RZ: AbsRange(0, 255),
    ev.ABS_HAT0X: HAT,
    ev.ABS_HAT0Y: HAT,
}
F710_KEYS = list(range(ev.BTN_JOYSTICK, ev.BTN_JOYSTICK + 12))

SYN = (ev.EV_SYN, ev.SYN_REPORT, 0)


def frames(translator: EvdevJoyTranslator, events) -> list[tuple[list[float], list[int]]]:
    out = []
    for event in events:
        if translator.feed(*event):
            out.append((list(translator.axes), list(translator.buttons)))
    return out


def test_xpad_layout_is_the_one_the_xbox_profile_indexes():
    layout = JoyLayout.from_capabilities(XPAD_ABS, XPAD_KEYS)
    xbox = find_pad_profile("xbox", PADS)
    axis = {code: i for i, code in enumerate(layout.axis_codes)}
    button = {code: i for i, code in enumerate(layout.button_codes)}
    assert xbox.axes["linear_x"].index == axis[ev.ABS_Y]  # left stick vertical
    assert xbox.axes["linear_y"].index == axis[ev.ABS_X]
    assert xbox.axes["angular_z"].index == axis[ev.ABS_RX]  # right stick horizontal
    assert xbox.buttons == {
        "deadman": button[ev.BTN_TL],  # LB
        "estop": button[ev.BTN_EAST],  # B
        "stand": button[ev.BTN_START],
        "sit": button[ev.BTN_SELECT],  # Back
        "reset": button[ev.BTN_WEST],  # Y
    }


def test_hid_playstation_layout_is_the_one_the_playstation_profile_indexes():
    keys = XPAD_KEYS + [ev.BTN_TL2, ev.BTN_TR2]  # L2 / R2 also click
    layout = JoyLayout.from_capabilities(XPAD_ABS, keys)
    ps = find_pad_profile("playstation", PADS)
    button = {code: i for i, code in enumerate(layout.button_codes)}
    assert ps.axes["angular_z"].index == layout.axis_codes.index(ev.ABS_RX)
    assert ps.buttons == {
        "deadman": button[ev.BTN_TL],  # L1
        "estop": button[ev.BTN_EAST],  # circle
        "stand": button[ev.BTN_START],  # options
        "sit": button[ev.BTN_SELECT],  # share / create
        "reset": button[ev.BTN_NORTH],  # triangle
    }


def test_f710_directinput_layout_is_the_one_its_profile_indexes():
    layout = JoyLayout.from_capabilities(F710_ABS, F710_KEYS)
    f710 = find_pad_profile("logitech_f710", PADS)
    assert f710.axes["angular_z"].index == layout.axis_codes.index(ev.ABS_Z)  # right stick x
    assert f710.buttons["deadman"] == layout.button_codes.index(ev.BTN_JOYSTICK + 4)  # LB
    assert f710.buttons["estop"] == layout.button_codes.index(ev.BTN_JOYSTICK + 2)  # B


def test_buttons_follow_joydev_order_joystick_buttons_before_misc_ones():
    layout = JoyLayout.from_capabilities({}, [ev.BTN_MISC, ev.BTN_SOUTH, ev.BTN_JOYSTICK, 30])
    assert layout.button_codes == (ev.BTN_JOYSTICK, ev.BTN_SOUTH, ev.BTN_MISC)  # key 30 is not


@pytest.mark.parametrize(
    "code, value, expected",
    [
        (ev.ABS_X, -32768, 1.0),  # stick left: +1
        (ev.ABS_X, 32767, -1.0),
        (ev.ABS_Y, -32768, 1.0),  # stick up: +1
        (ev.ABS_Z, 0, 1.0),  # trigger released: +1, as ROS's joy reports it
        (ev.ABS_Z, 255, -1.0),
        (ev.ABS_HAT0X, -1, 1.0),  # D-pad left: +1
    ],
)
def test_axis_values_are_scaled_to_the_ros_convention(code, value, expected):
    translator = EvdevJoyTranslator(JoyLayout.from_capabilities(XPAD_ABS, XPAD_KEYS))
    (frame,) = frames(translator, [(ev.EV_ABS, code, value), SYN])
    assert frame[0][translator.layout.axis_codes.index(code)] == pytest.approx(expected)


def test_a_frame_is_published_at_each_syn_report_with_everything_before_it():
    translator = EvdevJoyTranslator(JoyLayout.from_capabilities(XPAD_ABS, XPAD_KEYS))
    out = frames(
        translator,
        [
            (ev.EV_KEY, ev.BTN_TL, 1),  # LB down
            (ev.EV_ABS, ev.ABS_Y, -16384),  # left stick half up
            SYN,
            (ev.EV_KEY, ev.BTN_TL, 2),  # auto-repeat: still held
            (ev.EV_ABS, ev.ABS_Y, -32768),
            SYN,
            (ev.EV_KEY, ev.BTN_TL, 0),
            SYN,
        ],
    )
    assert [f[1][4] for f in out] == [1, 1, 0]
    assert [round(f[0][1], 3) for f in out] == [0.5, 1.0, 1.0]


def test_after_dropped_events_nothing_is_published_until_the_state_is_read_back():
    translator = EvdevJoyTranslator(JoyLayout.from_capabilities(XPAD_ABS, XPAD_KEYS))
    out = frames(
        translator,
        [
            (ev.EV_KEY, ev.BTN_TL, 1),
            (ev.EV_SYN, ev.SYN_DROPPED, 0),
            (ev.EV_KEY, ev.BTN_TL, 0),  # half a frame: discarded
            SYN,
            (ev.EV_ABS, ev.ABS_X, 0),
            SYN,
        ],
    )
    assert out == []
    assert translator.needs_resync
    translator.resync({ev.ABS_Y: -32768}, pressed=[ev.BTN_TL])
    assert not translator.needs_resync
    assert translator.buttons[4] == 1 and translator.axes[1] == pytest.approx(1.0)
    assert frames(translator, [SYN]) != []


def test_recorded_xbox_events_drive_the_teleop_forward_only_while_lb_is_held():
    translator = EvdevJoyTranslator(JoyLayout.from_capabilities(XPAD_ABS, XPAD_KEYS))
    teleop = JoyTeleop(find_pad_profile("xbox", PADS), TeleopConfig())
    recording = [
        [(ev.EV_ABS, ev.ABS_Y, -32768), SYN],  # stick up, no LB: nothing
        [(ev.EV_KEY, ev.BTN_TL, 1), SYN],  # LB: drive
        [(ev.EV_ABS, ev.ABS_Y, -32768), SYN],
        [(ev.EV_ABS, ev.ABS_Y, -32767), SYN],
        [(ev.EV_KEY, ev.BTN_TL, 0), SYN],  # LB released: stop
        [(ev.EV_KEY, ev.BTN_EAST, 1), SYN],  # B: e-stop
    ]
    commands, actions = [], []
    for i, events in enumerate(recording):
        for axes, buttons in frames(translator, events):
            actions += teleop.on_joy(0.05 * i, axes, buttons)
        commands.append(teleop.update(0.05 * i))
    assert commands[0] is None
    assert [c.linear_x > 0 for c in commands[2:4]] == [True, True]
    assert commands[4].linear_x == 0.0 and commands[5] is None
    assert [a.value for a in actions] == ["estop"]


def test_the_event_codes_are_the_kernels():
    ecodes = pytest.importorskip("evdev.ecodes")
    for name in ("EV_SYN", "EV_KEY", "EV_ABS", "SYN_REPORT", "SYN_DROPPED", "ABS_HAT0X"):
        assert getattr(ev, name) == getattr(ecodes, name), name
    for name in ("BTN_SOUTH", "BTN_EAST", "BTN_NORTH", "BTN_WEST", "BTN_TL", "BTN_START"):
        assert getattr(ev, name) == getattr(ecodes, name), name
    assert (ev.BTN_MISC, ev.BTN_JOYSTICK, ev.KEY_MAX) == (
        ecodes.BTN_MISC,
        ecodes.BTN_JOYSTICK,
        ecodes.KEY_MAX,
    )
