"""Gamepad profiles: which `sensor_msgs/Joy` axis and button does what.

A profile is a small YAML file (the shipped ones live in the ROS package's
`config/pads/`); indices are those of a `Joy` message as ROS's `joy_linux` and
legkit's own evdev reader publish them (the kernel's joydev order). Axis values
follow the ROS convention: stick up and stick left read +1.

```yaml
name: xbox
description: Xbox 360 / One / Series pad, Linux xpad driver
deadzone: 0.1              # |stick| below this reads as zero
axes:                      # command -> Joy axis; sign -1 flips a direction
  linear_x: {index: 1}     # left stick up/down: forward/backward
  linear_y: {index: 0}     # left stick left/right: sideways
  angular_z: {index: 3}    # right stick left/right: turn
buttons:                   # action -> Joy button
  deadman: 4               # LB: held, or nothing moves
  estop: 1                 # B
  stand: 7                 # Start (with the deadman)
  sit: 6                   # Back
  reset: 3                 # Y: release the e-stop (with the deadman)
```
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import yaml

COMMAND_AXES = ("linear_x", "linear_y", "angular_z")
"""The velocity command's axes, in Twist terms: forward, left, counter-clockwise yaw."""

BUTTON_ACTIONS = ("deadman", "estop", "stand", "sit", "reset")
"""What a pad's buttons can do; every profile maps all of them."""

_PROFILE_KEYS = ("name", "description", "deadzone", "axes", "buttons")
_AXIS_KEYS = ("index", "sign")


class PadProfileError(ValueError):
    """A pad profile that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class AxisBinding:
    """One command axis read from one Joy axis."""

    index: int
    """Index into `Joy.axes`."""
    sign: float = 1.0
    """+1 keeps the Joy direction (stick up / left = positive), -1 flips it."""


@dataclass(frozen=True)
class PadProfile:
    """How one kind of gamepad drives the robot."""

    name: str
    """Profile name, e.g. "xbox"."""
    axes: dict[str, AxisBinding]
    """Command axis ("linear_x", "linear_y", "angular_z") -> Joy axis."""
    buttons: dict[str, int]
    """Action ("deadman", "estop", "stand", "sit", "reset") -> index into `Joy.buttons`."""
    deadzone: float = 0.1
    """Stick deflection below this reads as zero [-], in [0, 1)."""
    description: str = ""
    """Which pads and drivers the indices were taken from."""

    def __post_init__(self) -> None:
        where = f"pad profile '{self.name}'"
        if sorted(self.axes) != sorted(COMMAND_AXES):
            raise PadProfileError(f"{where}: axes must be exactly {list(COMMAND_AXES)}")
        if sorted(self.buttons) != sorted(BUTTON_ACTIONS):
            raise PadProfileError(f"{where}: buttons must be exactly {list(BUTTON_ACTIONS)}")
        if not 0.0 <= self.deadzone < 1.0:
            raise PadProfileError(f"{where}: deadzone must be in [0, 1), got {self.deadzone}")
        # One button doing two things (say e-stop and deadman) would be a trap.
        seen: dict[int, str] = {}
        for action, index in self.buttons.items():
            if index in seen:
                raise PadProfileError(
                    f"{where}: buttons.{action} and buttons.{seen[index]} are both button {index}"
                )
            seen[index] = action

    @property
    def axes_needed(self) -> int:
        """How many axes a Joy message must carry for this profile."""
        return 1 + max(b.index for b in self.axes.values())

    @property
    def buttons_needed(self) -> int:
        """How many buttons a Joy message must carry for this profile."""
        return 1 + max(self.buttons.values())


def pad_profile_from_dict(doc: object, source: str) -> PadProfile:
    """A profile from a parsed YAML document; `source` names it in error messages."""
    if not isinstance(doc, dict):
        raise PadProfileError(f"{source}: expected a mapping with keys {list(_PROFILE_KEYS)}")
    _no_unknown_keys(doc, _PROFILE_KEYS, source, "")
    for key in ("name", "axes", "buttons"):
        if key not in doc:
            raise PadProfileError(f"{source}: missing key '{key}'")
    axes_doc, buttons_doc = doc["axes"], doc["buttons"]
    if not isinstance(axes_doc, dict):
        raise PadProfileError(f"{source}: 'axes' must map {list(COMMAND_AXES)} to axes")
    if not isinstance(buttons_doc, dict):
        raise PadProfileError(f"{source}: 'buttons' must map {list(BUTTON_ACTIONS)} to buttons")
    _no_unknown_keys(axes_doc, COMMAND_AXES, source, "axes.")
    _no_unknown_keys(buttons_doc, BUTTON_ACTIONS, source, "buttons.")

    axes = {}
    for axis in COMMAND_AXES:
        entry = axes_doc.get(axis)
        if not isinstance(entry, dict):
            raise PadProfileError(f"{source}: missing axes.{axis} ({{index: N}})")
        _no_unknown_keys(entry, _AXIS_KEYS, source, f"axes.{axis}.")
        if "index" not in entry:
            raise PadProfileError(f"{source}: missing axes.{axis}.index")
        sign = entry.get("sign", 1)
        if sign not in (1, -1):
            raise PadProfileError(f"{source}: axes.{axis}.sign must be 1 or -1, got {sign!r}")
        axes[axis] = AxisBinding(_index(entry["index"], source, f"axes.{axis}.index"), float(sign))
    buttons = {}
    for action in BUTTON_ACTIONS:
        if action not in buttons_doc:
            raise PadProfileError(f"{source}: missing buttons.{action}")
        buttons[action] = _index(buttons_doc[action], source, f"buttons.{action}")
    deadzone = doc.get("deadzone", 0.1)
    if isinstance(deadzone, bool) or not isinstance(deadzone, (int, float)):
        raise PadProfileError(f"{source}: deadzone must be a number, got {deadzone!r}")
    if not math.isfinite(deadzone) or not 0.0 <= deadzone < 1.0:
        raise PadProfileError(f"{source}: deadzone must be in [0, 1), got {deadzone}")
    try:
        return PadProfile(
            name=str(doc["name"]),
            axes=axes,
            buttons=buttons,
            deadzone=float(deadzone),
            description=str(doc.get("description", "")),
        )
    except PadProfileError as err:
        raise PadProfileError(f"{source}: {err}") from None


def load_pad_profile(path: Path) -> PadProfile:
    """Read and validate one profile file."""
    try:
        doc = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as err:
        raise PadProfileError(f"cannot read pad profile {path}: {err}") from None
    return pad_profile_from_dict(doc, f"pad profile {path}")


def find_pad_profile(name_or_path: str, pads_dir: Path) -> PadProfile:
    """A shipped profile by name ("xbox"), or any profile file by path.

    An unknown name is refused with the list of profiles that do exist.
    """
    given = Path(name_or_path)
    if given.suffix in (".yaml", ".yml") or len(given.parts) > 1:
        return load_pad_profile(given)
    path = Path(pads_dir) / f"{name_or_path}.yaml"
    if not path.exists():
        raise PadProfileError(
            f"unknown pad profile '{name_or_path}'; known profiles: "
            f"{', '.join(known_pad_profiles(pads_dir)) or '(none)'} (in {pads_dir}), "
            "or give the path of a profile YAML"
        )
    return load_pad_profile(path)


def known_pad_profiles(pads_dir: Path) -> list[str]:
    return sorted(p.stem for p in Path(pads_dir).glob("*.yaml"))


def _no_unknown_keys(doc: dict, known: tuple[str, ...], source: str, prefix: str) -> None:
    for key in doc:
        if key not in known:
            raise PadProfileError(
                f"{source}: unknown key '{prefix}{key}' (known: {', '.join(known)})"
            )


def _index(value: object, source: str, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PadProfileError(f"{source}: {key} must be an index >= 0, got {value!r}")
    return value
