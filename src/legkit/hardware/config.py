"""Hardware config: which CAN motor drives which joint, and how its units map to the joint's.

Loaded from YAML (a table with one row per joint) and validated against the robot
profile before any bus is opened::

    robot: quadruped
    joints:
      LF_HAA: {bus: can0, id: 1, model: AK70-10, direction: 1, zero_offset: 0.0,
               gear_ratio: 1.0, torque_limit: 23.7}
      ...

Every problem found is reported in one message that names the joint (or the id) and
the value, so a wrong id, a duplicate id, an unknown model or a missing joint is fixed
in one edit.

Joint space <-> motor space, per joint (q joint angle, p motor position)::

    p   = direction * gear_ratio * (q - zero_offset)
    qd  = direction * pd / gear_ratio
    tau = direction * gear_ratio * tau_motor       (ideal transmission)
    kp_motor = kp_joint / gear_ratio**2,  kd_motor = kd_joint / gear_ratio**2
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from legkit.hardware.mit_protocol import MOTOR_MODELS, MotorModel
from legkit.robots.profile import RobotProfile

HOST_ID = 0
"""CAN id of the host (the motors' replies go to it on the original firmware)."""
MAX_MOTOR_ID = 255
"""A reply carries the motor's id in one byte."""

_KEYS = ("bus", "id", "model", "direction", "zero_offset", "gear_ratio", "torque_limit")


class HardwareConfigError(ValueError):
    """The hardware config cannot drive the robot; the message lists every problem."""


@dataclass(frozen=True)
class JointMotor:
    """The motor behind one joint."""

    joint: str
    bus: str
    """CAN interface the motor is on (e.g. can0)."""
    can_id: int
    """The motor's CAN id, 1..255."""
    model: MotorModel
    direction: int
    """+1 when the motor turns the joint's positive way, -1 when mounted the other way."""
    zero_offset: float
    """Joint angle at which the motor reads zero [rad]."""
    gear_ratio: float
    """Motor output turns per joint turn (transmission after the motor's own gearbox)."""
    torque_limit: float
    """Most torque the bridge will command at the joint [N m]."""

    @property
    def label(self) -> str:
        """How a log line names the motor: joint, bus and id."""
        return f"{self.joint} ({self.bus} id {self.can_id})"

    def motor_position(self, q: float) -> float:
        return self.direction * self.gear_ratio * (q - self.zero_offset)

    def joint_position(self, p: float) -> float:
        return self.direction * p / self.gear_ratio + self.zero_offset


@dataclass(frozen=True)
class HardwareConfig:
    """The motor of every joint of one robot, in the robot profile's joint order."""

    robot: str
    motors: tuple[JointMotor, ...]

    @property
    def buses(self) -> tuple[str, ...]:
        """The CAN interfaces in use, in order of first appearance."""
        return tuple(dict.fromkeys(m.bus for m in self.motors))

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(direction, gear_ratio, zero_offset) per joint, for vectorized conversions."""
        return (
            np.array([m.direction for m in self.motors], dtype=float),
            np.array([m.gear_ratio for m in self.motors]),
            np.array([m.zero_offset for m in self.motors]),
        )


def load_hardware_config(path: Path | str, profile: RobotProfile) -> HardwareConfig:
    """Read and validate the YAML file at `path` for `profile`."""
    import yaml

    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as err:
        raise HardwareConfigError(f"hardware config {path}: cannot read it: {err}") from None
    return hardware_config_from_dict(doc, profile, source=str(path))


def hardware_config_from_dict(
    doc: object, profile: RobotProfile, source: str = "hardware config"
) -> HardwareConfig:
    """Validate a parsed config document against `profile`; HardwareConfigError if invalid."""
    problems: list[str] = []
    if not isinstance(doc, Mapping) or not isinstance(doc.get("joints"), Mapping):
        raise HardwareConfigError(f"{source}: expected a mapping with a 'joints' table")
    robot = doc.get("robot", profile.name)
    if robot != profile.name:
        problems.append(f"written for robot '{robot}', not '{profile.name}'")
    extra = sorted(set(doc) - {"robot", "joints"})
    if extra:
        problems.append(f"unknown top-level keys {extra}")

    rows: Mapping = doc["joints"]
    unknown = [name for name in rows if name not in profile.joint_names]
    missing = [name for name in profile.joint_names if name not in rows]
    if unknown:
        problems.append(f"unknown joints {unknown} (not in robot profile '{profile.name}')")
    if missing:
        problems.append(f"joints missing: {missing}")

    motors: list[JointMotor] = []
    for spec in profile.joints:
        if spec.name in rows:
            motor = _joint_motor(spec, rows[spec.name], problems)
            if motor is not None:
                motors.append(motor)

    owner: dict[tuple[str, int], str] = {}
    for m in motors:
        first = owner.setdefault((m.bus, m.can_id), m.joint)
        if first != m.joint:
            problems.append(f"duplicate CAN id {m.can_id} on {m.bus}: {first} and {m.joint}")

    if problems:
        raise HardwareConfigError(f"{source}: " + "; ".join(problems))
    return HardwareConfig(robot=profile.name, motors=tuple(motors))


def _joint_motor(spec, row: object, problems: list[str]) -> JointMotor | None:
    """One row checked against its joint spec; problems appended, None when unusable."""
    name = spec.name
    if not isinstance(row, Mapping):
        problems.append(f"joint {name}: expected a mapping of {list(_KEYS)}")
        return None
    n_before = len(problems)
    extra = sorted(set(row) - set(_KEYS))
    absent = [k for k in _KEYS if k not in row]
    if extra:
        problems.append(f"joint {name}: unknown keys {extra}")
    if absent:
        problems.append(f"joint {name}: missing keys {absent}")
        return None

    can_id = row["id"]
    if not isinstance(can_id, int) or isinstance(can_id, bool):
        problems.append(f"joint {name}: CAN id must be an integer, got {can_id!r}")
    elif not HOST_ID < can_id <= MAX_MOTOR_ID:
        problems.append(
            f"joint {name}: CAN id {can_id} outside 1..{MAX_MOTOR_ID} ({HOST_ID} is the host's)"
        )
    model = MOTOR_MODELS.get(row["model"])
    if model is None:
        problems.append(
            f"joint {name}: unknown motor model '{row['model']}'; "
            f"known models: {sorted(MOTOR_MODELS)}"
        )
    if row["direction"] not in (1, -1):
        problems.append(f"joint {name}: direction must be 1 or -1, got {row['direction']!r}")
    numbers = {k: row[k] for k in ("zero_offset", "gear_ratio", "torque_limit")}
    for key, value in numbers.items():
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            problems.append(f"joint {name}: {key} must be a finite number, got {value!r}")
    if not isinstance(row["bus"], str) or not row["bus"]:
        problems.append(f"joint {name}: bus must be an interface name, got {row['bus']!r}")
    if len(problems) > n_before:
        return None

    motor = JointMotor(
        joint=name,
        bus=row["bus"],
        can_id=can_id,
        model=model,
        direction=int(row["direction"]),
        zero_offset=float(row["zero_offset"]),
        gear_ratio=float(row["gear_ratio"]),
        torque_limit=float(row["torque_limit"]),
    )
    if motor.gear_ratio <= 0.0:
        problems.append(f"joint {name}: gear_ratio must be positive, got {motor.gear_ratio}")
        return None
    _check_encodable(spec, motor, problems)
    return motor


def _check_encodable(spec, motor: JointMotor, problems: list[str]) -> None:
    """The joint's range, speed and torque limit must fit what the model can encode."""
    name, model, ratio = spec.name, motor.model, motor.gear_ratio
    if motor.torque_limit <= 0.0:
        problems.append(f"joint {name}: torque_limit must be positive, got {motor.torque_limit}")
    elif motor.torque_limit > model.torque_max * ratio + 1e-9:
        problems.append(
            f"joint {name}: torque_limit {motor.torque_limit} N m exceeds what an {model.name} "
            f"through gear ratio {ratio:g} can apply ({model.torque_max * ratio:g} N m)"
        )
    ends = [abs(motor.motor_position(q)) for q in (spec.lower, spec.upper)]
    if max(ends) > model.position_max:
        problems.append(
            f"joint {name}: range [{spec.lower}, {spec.upper}] rad maps to motor positions "
            f"beyond the {model.name}'s +-{model.position_max} rad (check zero_offset)"
        )
    if spec.velocity_limit * ratio > model.velocity_max:
        problems.append(
            f"joint {name}: velocity limit {spec.velocity_limit} rad/s is "
            f"{spec.velocity_limit * ratio:g} rad/s at the motor, beyond the {model.name}'s "
            f"+-{model.velocity_max} rad/s"
        )
