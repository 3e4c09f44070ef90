"""A keyboard as a gamepad, for operators without one.

A terminal sends a key again and again while it is held (auto-repeat) but never
says when it is released. So a key counts as held for `hold` seconds after its
last repeat; holding any driving key is the deadman, and letting go of every key
stops the robot within `hold`. The samples go through the same `JoyTeleop` as a
real pad, with the same shaping, acceleration limit and button rules.

    w / s   forward / backward          u      stand up
    a / d   sideways left / right       x      sit (damping)
    q / e   turn left / right           r      reset the e-stop
    space   E-STOP                      h      this help
"""

from __future__ import annotations

from legkit.teleop.pads import AxisBinding, PadProfile

DRIVE_KEYS = {
    "w": ("linear_x", 1.0),
    "s": ("linear_x", -1.0),
    "a": ("linear_y", 1.0),
    "d": ("linear_y", -1.0),
    "q": ("angular_z", 1.0),
    "e": ("angular_z", -1.0),
}
"""Key -> (command axis, full deflection)."""

ACTION_KEYS = {" ": "estop", "u": "stand", "x": "sit", "r": "reset"}
"""Key -> pad action."""

KEYBOARD_PAD = PadProfile(
    name="keyboard",
    axes={
        "linear_x": AxisBinding(0),
        "linear_y": AxisBinding(1),
        "angular_z": AxisBinding(2),
    },
    buttons={"deadman": 0, "estop": 1, "stand": 2, "sit": 3, "reset": 4},
    deadzone=0.0,
    description="legkit keyboard teleop (synthetic pad)",
)

HELP = __doc__.split("\n\n")[-1]


class KeyboardPad:
    """Key presses in, pad samples (axes, buttons) for `KEYBOARD_PAD` out."""

    def __init__(self, hold: float = 0.7) -> None:
        self.hold = hold
        """A key counts as held this long after its last press or repeat [s]. Longer
        than the terminal's auto-repeat delay (typically 0.25-0.66 s)."""
        self._axis_until: dict[str, tuple[float, float]] = {}  # axis -> (deflection, until)
        self._button_until: dict[str, float] = {}  # action -> until

    def press(self, key: str, now: float) -> bool:
        """One key press or repeat; False for a key that does nothing."""
        key = key.lower() if key != " " else key
        if key in DRIVE_KEYS:
            axis, deflection = DRIVE_KEYS[key]
            self._axis_until[axis] = (deflection, now + self.hold)
            self._button_until["deadman"] = now + self.hold
            return True
        if key in ACTION_KEYS:
            action = ACTION_KEYS[key]
            self._button_until[action] = now + self.hold
            if action in ("stand", "reset"):  # a deliberate key press is the deadman here
                self._button_until["deadman"] = now + self.hold
            return True
        return False

    def sample(self, now: float) -> tuple[list[float], list[int]]:
        """The pad state now: (axes, buttons) in `KEYBOARD_PAD` order."""
        axes = [0.0, 0.0, 0.0]
        for axis, (deflection, until) in self._axis_until.items():
            if now <= until:
                axes[KEYBOARD_PAD.axes[axis].index] = deflection
        buttons = [0] * KEYBOARD_PAD.buttons_needed
        for action, until in self._button_until.items():
            if now <= until:
                buttons[KEYBOARD_PAD.buttons[action]] = 1
        return axes, buttons
