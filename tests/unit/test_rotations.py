"""Quaternion helpers agree with rotation matrices, in (x, y, z, w) order."""

import math

import numpy as np
import pytest

from legkit.rotations import (
    projected_gravity,
    rotate_floats_to_body,
    rotate_floats_to_world,
    rotate_to_body,
    rotate_to_world,
    tilt,
    tilt_of_gravity,
    yaw,
)

S = math.sqrt(0.5)


@pytest.mark.parametrize(
    ("quat", "gravity_in_body"),
    [
        ((0, 0, 0, 1), (0, 0, -1)),  # level
        ((S, 0, 0, S), (0, -1, 0)),  # rolled +90 deg about x
        ((0, S, 0, S), (1, 0, 0)),  # pitched +90 deg about y (nose down)
        ((0, 0, S, S), (0, 0, -1)),  # yaw does not change gravity
        ((1, 0, 0, 0), (0, 0, 1)),  # upside down
    ],
)
def test_projected_gravity(quat, gravity_in_body):
    np.testing.assert_allclose(
        projected_gravity(np.array(quat, float)), gravity_in_body, atol=1e-12
    )


def test_body_and_world_rotations_are_inverse_and_match_a_matrix():
    rng = np.random.default_rng(0)
    for _ in range(50):
        q = rng.normal(size=4)
        q /= np.linalg.norm(q)
        v = rng.normal(size=3)
        x, y, z, w = q
        r = np.array(
            [
                [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
            ]
        )
        np.testing.assert_allclose(rotate_to_world(q, v), r @ v, atol=1e-12)
        np.testing.assert_allclose(rotate_to_body(q, rotate_to_world(q, v)), v, atol=1e-12)


def test_tilt_and_yaw():
    assert tilt(np.array([S, 0, 0, S])) == pytest.approx(math.pi / 2)
    assert tilt(np.array([0, 0, S, S])) == pytest.approx(0.0, abs=1e-7)
    assert yaw(np.array([0, 0, S, S])) == pytest.approx(math.pi / 2)


def test_the_float_forms_give_the_same_numbers_as_the_array_forms():
    rng = np.random.default_rng(1)
    q = rng.normal(size=4)
    q /= np.linalg.norm(q)
    v = rng.normal(size=3)
    assert rotate_floats_to_body(tuple(q), tuple(v)) == tuple(rotate_to_body(q, v))
    assert rotate_floats_to_world(q, v) == tuple(rotate_to_world(q, v))


def test_tilt_of_gravity_is_tilt_and_keeps_nan():
    q = np.array([S, 0, 0, S])
    assert tilt_of_gravity(projected_gravity(q)) == tilt(q)
    assert tilt_of_gravity(np.array([0.0, 0.0, -1.0 - 1e-12])) == 0.0  # rounding past level
    assert math.isnan(tilt_of_gravity(np.array([0.0, 0.0, np.nan])))
