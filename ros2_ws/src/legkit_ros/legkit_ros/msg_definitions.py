"""Full ROS 2 message definitions (`ros2msg`), as rosbag2 stores them in an MCAP schema.

Tools that do not know a type in advance (Foxglove, mcap's ros2 decoder, rosbags)
decode a recording with the definition stored beside it: the type's .msg text, then
every type it uses, each after a line of 80 '=' and a line `MSG: pkg/msg/Type`.
The .msg files come from the installed message packages (share/<pkg>/msg/), found
on AMENT_PREFIX_PATH or in this Python environment's prefix (the PyPI ROS wheels).
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from pathlib import Path

SEPARATOR = "=" * 80
_NESTED = re.compile(r"([A-Za-z][A-Za-z0-9_]*)/([A-Za-z][A-Za-z0-9_]*)")


def type_name(msg_type: type) -> str:
    """'geometry_msgs/msg/Twist' for geometry_msgs.msg.Twist."""
    return f"{msg_type.__module__.split('.')[0]}/msg/{msg_type.__name__}"


def message_definition(msg_type: type) -> str:
    """The complete `ros2msg` definition of `msg_type`, nested types included."""
    parts = [msg_file(msg_type).read_text()]
    for dep in _nested_types(msg_type):
        parts.append(f"{SEPARATOR}\nMSG: {type_name(dep)}\n{msg_file(dep).read_text()}")
    return "\n".join(part.rstrip("\n") for part in parts) + "\n"


def msg_file(msg_type: type) -> Path:
    package, _, name = type_name(msg_type).split("/")
    prefixes = [p for p in os.environ.get("AMENT_PREFIX_PATH", "").split(os.pathsep) if p]
    for prefix in [*prefixes, sys.prefix]:
        path = Path(prefix) / "share" / package / "msg" / f"{name}.msg"
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"no {package}/msg/{name}.msg under AMENT_PREFIX_PATH or {sys.prefix}/share: "
        f"is the {package} package installed?"
    )


def _nested_types(msg_type: type) -> list[type]:
    """Every message type used by `msg_type`, directly or not, each once, in order of use."""
    found: list[type] = []
    pending = [msg_type]
    while pending:
        for field_type in pending.pop(0).get_fields_and_field_types().values():
            for package, name in _NESTED.findall(field_type):
                dep = getattr(importlib.import_module(f"{package}.msg"), name)
                if dep not in found and dep is not msg_type:
                    found.append(dep)
                    pending.append(dep)
    return found
