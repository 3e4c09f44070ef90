"""The thigh IMU convention: what the sim bridge writes, the observation node reads back."""

from __future__ import annotations

import numpy as np
import pytest

from legkit.rotations import rotate_to_world
from legkit.thigh_imu import imu_angular_velocity, imu_orientation, thigh_reading

ANGLES = (-0.6, -0.2, 0.0, 0.3, 0.9, 2.0)
"""From hip extension to deep flexion (a squat's thigh passes 1.5 rad) [rad]."""


def quat_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product of (x, y, z, w) quaternions: rotation b, then a."""
    ax, ay, az, aw = a
    bx, by, bz, bw = b
    return np.array(
        [
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
            aw * bw - ax * bx - ay * by - az * bz,
        ]
    )


def about(axis: str, angle: float) -> np.ndarray:
    v = np.zeros(3)
    v["xyz".index(axis)] = 1.0
    return np.array([*(v * np.sin(angle / 2)), np.cos(angle / 2)])


@pytest.mark.parametrize("angle", ANGLES)
def test_an_angle_and_rate_written_as_an_imu_sample_read_back_unchanged(angle):
    for rate in (-4.0, 0.0, 2.5):
        read = thigh_reading(imu_orientation(angle), imu_angular_velocity(rate))
        np.testing.assert_allclose(read, (angle, rate), atol=1e-12)


def test_standing_upright_the_imu_frame_is_the_world_frame():
    np.testing.assert_allclose(imu_orientation(0.0), [0.0, 0.0, 0.0, 1.0])


def test_a_flexed_thigh_tilts_the_imu_z_axis_back_and_its_x_axis_up():
    # z runs up along the thigh (knee to hip): with the knee forward it leans back.
    q = imu_orientation(0.5)
    z = rotate_to_world(q, np.array([0.0, 0.0, 1.0]))
    x = rotate_to_world(q, np.array([1.0, 0.0, 0.0]))
    np.testing.assert_allclose(z, [-np.sin(0.5), 0.0, np.cos(0.5)], atol=1e-12)
    np.testing.assert_allclose(x, [np.cos(0.5), 0.0, np.sin(0.5)], atol=1e-12)


@pytest.mark.parametrize("angle", ANGLES)
def test_the_gyro_reads_the_rate_of_the_orientation_in_the_imu_frame(angle):
    # A flexing thigh (positive rate) turns the IMU about -y: its gyro's y reads negative.
    rate, h = 1.5, 1e-6
    q0, q1 = imu_orientation(angle), imu_orientation(angle + rate * h)
    conj = q0 * np.array([-1.0, -1.0, -1.0, 1.0])
    turned = quat_mul(conj, q1)  # the step's rotation, in the IMU frame
    omega = 2.0 * turned[:3] / h
    np.testing.assert_allclose(imu_angular_velocity(rate), omega, atol=1e-5)
    assert imu_angular_velocity(rate)[1] < 0.0


@pytest.mark.parametrize("angle", ANGLES)
def test_a_cuff_turned_a_little_on_the_leg_still_reads_the_thigh_angle(angle):
    q = imu_orientation(angle)
    # The cuff rolled about the thigh's long axis or tipped sideways on it, and the
    # wearer heading or leaning a little off the walking direction: 0.1 rad each.
    turned = [
        quat_mul(q, about("z", 0.1)),
        quat_mul(q, about("x", 0.1)),
        quat_mul(about("z", 0.1), q),
        quat_mul(about("x", 0.1), q),
    ]
    for orientation in turned:
        read, _ = thigh_reading(orientation, np.zeros(3))
        assert read == pytest.approx(angle, abs=0.005)
