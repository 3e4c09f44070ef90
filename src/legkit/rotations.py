"""Quaternion helpers. Quaternions are (x, y, z, w), pybullet's and ROS's order."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

GRAVITY_WORLD = np.array([0.0, 0.0, -1.0])
"""Unit gravity direction in the world frame (z up)."""


def rotate_to_body(quat_xyzw: np.ndarray, v_world: np.ndarray) -> np.ndarray:
    """Express a world-frame vector in the body frame of orientation `quat_xyzw`."""
    return np.array(rotate_floats_to_body(quat_xyzw, v_world))


def rotate_to_world(quat_xyzw: np.ndarray, v_body: np.ndarray) -> np.ndarray:
    """Express a body-frame vector in the world frame."""
    return np.array(rotate_floats_to_world(quat_xyzw, v_body))


def rotate_floats_to_body(
    quat_xyzw: Sequence[float] | np.ndarray, v_world: Sequence[float] | np.ndarray
) -> tuple[float, float, float]:
    """`rotate_to_body` as a tuple of floats, for callers that go on in plain Python."""
    # v_body = R^T v, written out on floats: this runs every physics step, and numpy's
    # per-call overhead on 3-vectors costs more than the arithmetic.
    x, y, z, w = quat_xyzw.tolist() if isinstance(quat_xyzw, np.ndarray) else quat_xyzw
    vx, vy, vz = v_world.tolist() if isinstance(v_world, np.ndarray) else v_world
    s = 2.0 * w * w - 1.0
    d = 2.0 * (x * vx + y * vy + z * vz)
    cx, cy, cz = y * vz - z * vy, z * vx - x * vz, x * vy - y * vx
    return (
        vx * s - 2.0 * w * cx + x * d,
        vy * s - 2.0 * w * cy + y * d,
        vz * s - 2.0 * w * cz + z * d,
    )


def rotate_floats_to_world(
    quat_xyzw: Sequence[float] | np.ndarray, v_body: Sequence[float] | np.ndarray
) -> tuple[float, float, float]:
    """`rotate_to_world` as a tuple of floats."""
    # The inverse rotation is the conjugate quaternion.
    x, y, z, w = quat_xyzw.tolist() if isinstance(quat_xyzw, np.ndarray) else quat_xyzw
    return rotate_floats_to_body((-x, -y, -z, w), v_body)


def projected_gravity(quat_xyzw: np.ndarray) -> np.ndarray:
    """Unit gravity direction seen from the body: (0, 0, -1) when the base is level."""
    return rotate_to_body(quat_xyzw, GRAVITY_WORLD)


def tilt(quat_xyzw: np.ndarray) -> float:
    """Angle between the body z axis and the world vertical [rad]."""
    return tilt_of_gravity(projected_gravity(quat_xyzw))


def tilt_of_gravity(projected: np.ndarray) -> float:
    """`tilt` from an already computed `projected_gravity` [rad]."""
    return float(np.arccos(min(max(-float(projected[2]), -1.0), 1.0)))


def yaw(quat_xyzw: np.ndarray) -> float:
    """Heading angle about the world z axis [rad]."""
    x, y, z, w = quat_xyzw
    return float(np.arctan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z)))
