"""The MIT mini-cheetah CAN protocol, as CubeMars AK motors speak it: pure pack/unpack.

Every frame is a classic CAN frame with an 11-bit identifier; no I/O happens here.

Host -> motor, identifier = the motor's CAN id, 8 data bytes:

* special frames ``FF FF FF FF FF FF FF xx``: ``FC`` enter motor mode, ``FD`` exit
  motor mode, ``FE`` set the present position as zero;
* a command frame, five fields packed big-endian, most significant bits first::

      byte  0        1        2        3         4        5        6         7
            p[15:8]  p[7:0]   v[11:4]  v[3:0]    kp[7:0]  kd[11:4] kd[3:0]   t[7:0]
                                       kp[11:8]                    t[11:8]

  position p (16 bit), velocity v, stiffness kp, damping kd and feed-forward torque t
  (12 bit each). The motor applies ``t + kp (p - q) + kd (v - qd)`` in its own fast loop.

Motor -> host, data[0] = the motor's CAN id (the identifier is the host's id, 0 by
default, on the original firmware): position (16 bit), velocity (12 bit) and torque
(12 bit) packed the same way into bytes 1-5; firmware that sends 8 bytes (CubeMars AK)
adds the temperature (byte 6, degrees C + 40) and an error code (byte 7).

A value x in [lo, hi] travels as ``uint = trunc((x - lo) (2^bits - 1) / (hi - lo))``, the
reference ``float_to_uint`` of the protocol; encoding repeats its single-precision
arithmetic step by step, so a frame is bit-identical to the one the reference C code
builds. Decoding is done in double precision (it differs from single by < 1e-6 relative).
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

# ---------------------------------------------------------------- motor models


@dataclass(frozen=True)
class MotorModel:
    """The value ranges one motor model's MIT firmware encodes (output side, SI units).

    Positions span ``[-position_max, position_max]``, velocities and torques likewise
    symmetric; gains span ``[0, kp_max]`` and ``[0, kd_max]``. They must match the
    firmware on the motor: the same bits mean a different torque on another model.
    """

    name: str
    position_max: float
    """Encoded position range, +- [rad]."""
    velocity_max: float
    """Encoded velocity range, +- [rad/s]."""
    torque_max: float
    """Encoded torque range, +- [N m]; also the most the firmware will apply."""
    kp_max: float = 500.0
    """Encoded stiffness range, 0.. [N m/rad]."""
    kd_max: float = 5.0
    """Encoded damping range, 0.. [N m s/rad]."""

    def __post_init__(self) -> None:
        for attr in ("position_max", "velocity_max", "torque_max", "kp_max", "kd_max"):
            value = getattr(self, attr)
            if not 0.0 < value < math.inf:
                raise ValueError(f"motor model {self.name}: {attr} must be positive, got {value}")


# Ranges of the CubeMars AK MIT firmware (AK Series Actuator Driver Manual V1.0.x).
# Add a model here (or pass your own MotorModel) when a motor's firmware differs.
MOTOR_MODELS: dict[str, MotorModel] = {
    m.name: m
    for m in (
        MotorModel("AK80-9", position_max=12.5, velocity_max=50.0, torque_max=18.0),
        MotorModel("AK70-10", position_max=12.5, velocity_max=50.0, torque_max=25.0),
        MotorModel("AK60-6", position_max=12.5, velocity_max=45.0, torque_max=15.0),
    )
}


def get_model(name: str) -> MotorModel:
    """The model called `name`; ValueError listing the known ones otherwise."""
    try:
        return MOTOR_MODELS[name]
    except KeyError:
        raise ValueError(
            f"unknown motor model '{name}'; known models: {sorted(MOTOR_MODELS)}"
        ) from None


# ---------------------------------------------------------------- special frames

_SPECIAL_PREFIX = b"\xff" * 7
ENTER_MOTOR_MODE = _SPECIAL_PREFIX + b"\xfc"
"""Motor starts applying command frames."""
EXIT_MOTOR_MODE = _SPECIAL_PREFIX + b"\xfd"
"""Motor stops applying torque (freewheels) and ignores command frames."""
SET_ZERO = _SPECIAL_PREFIX + b"\xfe"
"""Motor takes its present position as zero."""

ERROR_CODES: dict[int, str] = {
    0: "no fault",
    1: "motor over-temperature",
    2: "over-current",
    3: "over-voltage",
    4: "under-voltage",
    5: "encoder fault",
    6: "MOSFET over-temperature",
    7: "motor locked",
}
"""Error codes of the CubeMars AK firmware (reply byte 7)."""

TEMPERATURE_OFFSET_C = 40
"""Reply byte 6 is the temperature in degrees C plus this offset (-40..215 C)."""


def error_name(code: int) -> str:
    return ERROR_CODES.get(code, f"unknown error code {code}")


# ---------------------------------------------------------------- frames as values


@dataclass(frozen=True, slots=True)
class MitCommand:
    """One command frame's content, motor side: the motor applies
    ``torque + kp (position - q) + kd (velocity - qd)``."""

    position: float = 0.0
    """Target position [rad]."""
    velocity: float = 0.0
    """Target velocity [rad/s]."""
    kp: float = 0.0
    """Stiffness [N m/rad]."""
    kd: float = 0.0
    """Damping [N m s/rad]."""
    torque: float = 0.0
    """Feed-forward torque [N m]."""


ZERO_TORQUE = MitCommand()
"""All fields zero: no torque, but the motor stays in motor mode."""


@dataclass(frozen=True, slots=True)
class MitReply:
    """One reply frame's content, motor side."""

    motor_id: int
    position: float
    """[rad]"""
    velocity: float
    """[rad/s]"""
    torque: float
    """Measured torque (from the phase current) [N m]."""
    temperature: float | None = None
    """[degrees C]; None when the firmware sends 6-byte replies."""
    error_code: int | None = None
    """0 = no fault (see ERROR_CODES); None when the firmware sends 6-byte replies."""


# ---------------------------------------------------------------- value <-> uint

_F32 = struct.Struct("<f")


def _f32(x: float) -> float:
    """`x` rounded to single precision. Rounding a double result of +, -, *, / of single
    operands gives exactly the single-precision result, so this replays C float math."""
    return _F32.unpack(_F32.pack(x))[0]


def float_to_uint(x: float, lo: float, hi: float, bits: int) -> int:
    """`x` clamped to [lo, hi], as the protocol's `bits`-bit unsigned integer.

    Raises ValueError on a non-finite `x`: there is no safe value to send instead.
    """
    if not math.isfinite(x):
        raise ValueError(f"cannot encode non-finite value {x}")
    x = _f32(min(max(x, lo), hi))
    top = float((1 << bits) - 1)
    # C: (int)((x - x_min) * (float)((1 << bits) - 1) / (x_max - x_min)), in float.
    return int(_f32(_f32(_f32(x - lo) * top) / _f32(hi - lo)))


def uint_to_float(u: int, lo: float, hi: float, bits: int) -> float:
    """The value a `bits`-bit unsigned integer stands for in [lo, hi]."""
    return u * (hi - lo) / ((1 << bits) - 1) + lo


# ---------------------------------------------------------------- command frame


def pack_command(cmd: MitCommand, model: MotorModel) -> bytes:
    """The 8-byte command frame; each field is clamped to `model`'s range first."""
    p = float_to_uint(cmd.position, -model.position_max, model.position_max, 16)
    v = float_to_uint(cmd.velocity, -model.velocity_max, model.velocity_max, 12)
    kp = float_to_uint(cmd.kp, 0.0, model.kp_max, 12)
    kd = float_to_uint(cmd.kd, 0.0, model.kd_max, 12)
    t = float_to_uint(cmd.torque, -model.torque_max, model.torque_max, 12)
    return bytes(
        (
            p >> 8,
            p & 0xFF,
            v >> 4,
            ((v & 0xF) << 4) | (kp >> 8),
            kp & 0xFF,
            kd >> 4,
            ((kd & 0xF) << 4) | (t >> 8),
            t & 0xFF,
        )
    )


def unpack_command(data: bytes, model: MotorModel) -> MitCommand:
    """Decode a command frame (the motor's side of `pack_command`)."""
    if len(data) != 8:
        raise ValueError(f"command frame must have 8 bytes, got {len(data)}")
    p = (data[0] << 8) | data[1]
    v = (data[2] << 4) | (data[3] >> 4)
    kp = ((data[3] & 0xF) << 8) | data[4]
    kd = (data[5] << 4) | (data[6] >> 4)
    t = ((data[6] & 0xF) << 8) | data[7]
    return MitCommand(
        position=uint_to_float(p, -model.position_max, model.position_max, 16),
        velocity=uint_to_float(v, -model.velocity_max, model.velocity_max, 12),
        kp=uint_to_float(kp, 0.0, model.kp_max, 12),
        kd=uint_to_float(kd, 0.0, model.kd_max, 12),
        torque=uint_to_float(t, -model.torque_max, model.torque_max, 12),
    )


def is_special(data: bytes) -> bool:
    """Whether `data` is one of the special frames (enter, exit, set zero)."""
    return len(data) == 8 and data[:7] == _SPECIAL_PREFIX and data[7] in (0xFC, 0xFD, 0xFE)


# ---------------------------------------------------------------- reply frame


def pack_reply(reply: MitReply, model: MotorModel) -> bytes:
    """The reply frame: 8 bytes with temperature and error code, 6 bytes without."""
    p = float_to_uint(reply.position, -model.position_max, model.position_max, 16)
    v = float_to_uint(reply.velocity, -model.velocity_max, model.velocity_max, 12)
    t = float_to_uint(reply.torque, -model.torque_max, model.torque_max, 12)
    frame = bytes((reply.motor_id, p >> 8, p & 0xFF, v >> 4, ((v & 0xF) << 4) | (t >> 8), t & 0xFF))
    if reply.temperature is None:
        return frame
    temperature = min(max(round(reply.temperature) + TEMPERATURE_OFFSET_C, 0), 255)
    return frame + bytes((temperature, reply.error_code or 0))


def reply_motor_id(data: bytes) -> int:
    """The id of the motor that sent a reply frame (before its model is known)."""
    if len(data) not in (6, 8):
        raise ValueError(f"reply frame must have 6 or 8 bytes, got {len(data)}")
    return data[0]


def unpack_reply(data: bytes, model: MotorModel) -> MitReply:
    """Decode a 6- or 8-byte reply frame sent by a motor of `model`."""
    motor_id = reply_motor_id(data)
    p = (data[1] << 8) | data[2]
    v = (data[3] << 4) | (data[4] >> 4)
    t = ((data[4] & 0xF) << 8) | data[5]
    temperature = error_code = None
    if len(data) == 8:
        temperature = float(data[6] - TEMPERATURE_OFFSET_C)
        error_code = data[7]
    return MitReply(
        motor_id=motor_id,
        position=uint_to_float(p, -model.position_max, model.position_max, 16),
        velocity=uint_to_float(v, -model.velocity_max, model.velocity_max, 12),
        torque=uint_to_float(t, -model.torque_max, model.torque_max, 12),
        temperature=temperature,
        error_code=error_code,
    )
