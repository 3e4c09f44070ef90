"""The thigh IMU convention: how an exoskeleton's cuff IMU reports the thigh's sagittal angle.

The policy sees each thigh's angle from the vertical (thigh forward, i.e. hip flexion
with the trunk upright, positive) and its rate. On the device these come from an IMU
strapped to the thigh cuff, published as a standard ``sensor_msgs/Imu``; this module is
the one place that says how the two relate, for the sim bridge (which writes the
message) and the observation node (which reads it).

IMU frame: mounted so that, standing upright, x points forward, y to the wearer's left
and z up along the thigh (REP 103 axes). Orientation is the IMU frame in a gravity-aligned
world frame whose x is the walking direction. Flexing the thigh by an angle θ rotates the
IMU by -θ about its y axis, so the gyro's y reads -θ̇.

Reading the angle back from the full orientation (not just its pitch) keeps it right
when the cuff also rolls or yaws a little on the leg: it is the angle of the thigh's long
axis, projected on the sagittal plane, from the downward vertical.
"""

from __future__ import annotations

import numpy as np

from legkit.rotations import rotate_to_world


def imu_orientation(angle: float) -> np.ndarray:
    """Quaternion (x, y, z, w) of a thigh IMU whose thigh is `angle` [rad] from vertical."""
    half = -0.5 * angle
    return np.array([0.0, np.sin(half), 0.0, np.cos(half)])


def imu_angular_velocity(rate: float) -> np.ndarray:
    """Gyro reading (x, y, z) [rad/s] of a thigh IMU whose thigh turns at `rate` [rad/s]."""
    return np.array([0.0, -rate, 0.0])


def thigh_reading(orientation: np.ndarray, angular_velocity: np.ndarray) -> tuple[float, float]:
    """(angle [rad], rate [rad/s]) of the thigh from one IMU sample.

    `orientation` is (x, y, z, w), `angular_velocity` (x, y, z) in the IMU frame.
    """
    down = rotate_to_world(np.asarray(orientation, dtype=float), np.array([0.0, 0.0, -1.0]))
    angle = float(np.arctan2(down[0], -down[2]))
    return angle, float(-angular_velocity[1])
