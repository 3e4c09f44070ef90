"""Teleoperation: gamepad or keyboard -> velocity command and operator actions.

pads            pad profiles (which Joy axis/button does what), loaded from YAML
joy_teleop      deadman, deadzone, scaling, limits, acceleration limit, staleness,
                button edges: pad samples -> velocity command and actions
evdev_joy       Linux evdev events -> Joy axes/buttons (joy_linux's layout)
gamepad_reader  a real evdev device read without blocking, reopened after unplugging
keyboard        terminal keys -> pad samples for the same JoyTeleop
"""

from legkit.teleop.joy_teleop import (
    STOP,
    Action,
    AxisLimits,
    JoyTeleop,
    TeleopConfig,
    Velocity,
)
from legkit.teleop.pads import (
    BUTTON_ACTIONS,
    COMMAND_AXES,
    AxisBinding,
    PadProfile,
    PadProfileError,
    find_pad_profile,
    known_pad_profiles,
    load_pad_profile,
)

__all__ = [
    "STOP",
    "Action",
    "AxisBinding",
    "AxisLimits",
    "BUTTON_ACTIONS",
    "COMMAND_AXES",
    "JoyTeleop",
    "PadProfile",
    "PadProfileError",
    "TeleopConfig",
    "Velocity",
    "find_pad_profile",
    "known_pad_profiles",
    "load_pad_profile",
]
