"""JointPid: the PID law, its torque clamp and its anti-windup."""

from __future__ import annotations

import math

import numpy as np
import pytest

from legkit.control import JointPid

DT = 0.01  # s


def step(pid: JointPid, error: float | np.ndarray, **kwargs) -> np.ndarray:
    """One step with q* = error, q = 0, qd = 0 (so the position error is `error`)."""
    error = np.asarray(error, dtype=float)
    return pid.compute(error, np.zeros_like(error), np.zeros_like(error), DT, **kwargs)


@pytest.mark.parametrize(
    ("gains", "inputs", "expected"),
    [
        # P: kp (q* - q)
        (dict(kp=10.0, kd=0.0), dict(target_position=0.3, position=0.1, velocity=0.0), 2.0),
        # D on measured velocity: kd (0 - qd)
        (dict(kp=0.0, kd=2.0), dict(target_position=0.0, position=0.0, velocity=0.5), -1.0),
        # D on velocity error: kd (qd* - qd)
        (
            dict(kp=0.0, kd=2.0),
            dict(target_position=0.0, position=0.0, velocity=0.5, target_velocity=1.5),
            2.0,
        ),
        # I: the integral includes this step's error, ki * e * dt
        (
            dict(kp=0.0, kd=0.0, ki=5.0, integral_limit=1.0),
            dict(target_position=0.2, position=0.0, velocity=0.0),
            5.0 * 0.2 * DT,
        ),
        # feed-forward is added as is
        (
            dict(kp=0.0, kd=0.0),
            dict(target_position=0.0, position=0.0, velocity=0.0, feedforward=1.5),
            1.5,
        ),
        # all terms add up
        (
            dict(kp=10.0, kd=2.0, ki=5.0, integral_limit=1.0),
            dict(
                target_position=0.3,
                position=0.1,
                velocity=0.5,
                target_velocity=1.0,
                feedforward=-0.5,
            ),
            10.0 * 0.2 + 2.0 * 0.5 + 5.0 * 0.2 * DT - 0.5,
        ),
    ],
    ids=["P", "D", "D-target-velocity", "I", "feedforward", "PID+ff"],
)
def test_terms_of_one_step(gains: dict, inputs: dict, expected: float) -> None:
    pid = JointPid(torque_limit=100.0, **gains)
    tau = pid.compute(dt=DT, **{k: np.array([v]) for k, v in inputs.items()})
    np.testing.assert_allclose(tau, [expected])


def test_per_joint_gains_apply_to_their_own_joint() -> None:
    pid = JointPid(kp=[1.0, 2.0, 3.0], kd=[0.0, 0.1, 0.2], torque_limit=100.0)
    tau = pid.compute(np.ones(3), np.zeros(3), np.ones(3), DT)
    np.testing.assert_allclose(tau, [1.0, 1.9, 2.8])


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ([1.0, -1.0, 0.005], [1.0, -2.0, 0.5]),  # clamped, clamped, within limit
        ([-1.0, 1.0, -1.0], [-1.0, 2.0, -3.0]),
    ],
)
def test_torque_is_clamped_per_joint(error: list[float], expected: list[float]) -> None:
    pid = JointPid(kp=100.0, kd=0.0, torque_limit=[1.0, 2.0, 3.0])
    np.testing.assert_allclose(step(pid, error), expected)


def test_integral_accumulates_error_times_dt() -> None:
    pid = JointPid(kp=0.0, kd=0.0, ki=2.0, integral_limit=10.0, torque_limit=100.0)
    for _ in range(5):
        tau = step(pid, [0.1, -0.3])
    np.testing.assert_allclose(pid.integral, [0.5 * DT, -1.5 * DT])
    np.testing.assert_allclose(tau, 2.0 * pid.integral)


def test_integral_stops_growing_while_output_saturated() -> None:
    # P alone gives 0.5 N m; the integral adds until the 1 N m clamp is reached.
    pid = JointPid(kp=1.0, kd=0.0, ki=10.0, integral_limit=100.0, torque_limit=1.0)
    for _ in range(20):
        step(pid, [0.5])
    held = pid.integral.copy()
    for _ in range(1000):
        tau = step(pid, [0.5])
    np.testing.assert_allclose(tau, [1.0])
    # Without anti-windup it would be 0.5 * 10.2 s = 5.1 rad s by now.
    np.testing.assert_allclose(pid.integral, held)
    assert held[0] == pytest.approx(0.05, abs=DT * 0.5)


def test_integral_recovers_as_soon_as_error_reverses() -> None:
    pid = JointPid(kp=1.0, kd=0.0, ki=10.0, integral_limit=100.0, torque_limit=1.0)
    for _ in range(1000):
        step(pid, [0.5])
    # The saturated joint integrates an error of the other sign at once, and the
    # output leaves the clamp on the first step rather than after unwinding for ~10 s.
    before = pid.integral.copy()
    tau = step(pid, [-0.5])
    assert pid.integral[0] < before[0]
    assert abs(tau[0]) < 1.0
    for _ in range(10):
        tau = step(pid, [-0.5])
    assert tau[0] < 0.0


def test_integral_is_frozen_only_in_the_saturating_direction() -> None:
    # Joint 0 saturates positive with positive error (frozen); joint 1 is held at the
    # positive clamp by feed-forward while its error is negative (integrates).
    pid = JointPid(kp=1.0, kd=0.0, ki=1.0, integral_limit=100.0, torque_limit=1.0)
    step(pid, [5.0, -0.1], feedforward=np.array([0.0, 5.0]))
    np.testing.assert_allclose(pid.integral, [0.0, -0.1 * DT])


@pytest.mark.parametrize("limit", [0.01, 0.1])
def test_integral_is_clamped_to_integral_limit(limit: float) -> None:
    pid = JointPid(kp=0.0, kd=0.0, ki=3.0, integral_limit=limit, torque_limit=100.0)
    for _ in range(1000):
        tau = step(pid, [1.0, -1.0])
    np.testing.assert_allclose(pid.integral, [limit, -limit])
    np.testing.assert_allclose(tau, [3.0 * limit, -3.0 * limit])


def test_reset_zeroes_the_integral() -> None:
    pid = JointPid(kp=1.0, kd=0.0, ki=2.0, integral_limit=10.0, torque_limit=100.0)
    fresh = JointPid(kp=1.0, kd=0.0, ki=2.0, integral_limit=10.0, torque_limit=100.0)
    for _ in range(50):
        step(pid, [0.3])
    pid.reset()
    np.testing.assert_array_equal(pid.integral, [0.0])
    np.testing.assert_allclose(step(pid, [0.3]), step(fresh, [0.3]))


def test_batched_positions_keep_one_integral_per_row() -> None:
    pid = JointPid(kp=[0.0, 0.0], kd=0.0, ki=1.0, integral_limit=10.0, torque_limit=100.0)
    error = np.array([[1.0, 2.0], [-1.0, 0.0]])
    pid.compute(error, np.zeros((2, 2)), np.zeros((2, 2)), DT)
    np.testing.assert_allclose(pid.integral, error * DT)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(kp=-1.0, kd=0.0, torque_limit=1.0),
        dict(kp=1.0, kd=-0.1, torque_limit=1.0),
        dict(kp=1.0, kd=0.0, torque_limit=1.0, ki=-1.0, integral_limit=1.0),
        dict(kp=[1.0, -1.0], kd=0.0, torque_limit=1.0),
        dict(kp=math.nan, kd=0.0, torque_limit=1.0),
        dict(kp=math.inf, kd=0.0, torque_limit=1.0),
        dict(kp=1.0, kd=0.0, torque_limit=0.0),
        dict(kp=1.0, kd=0.0, torque_limit=[1.0, -1.0]),
        dict(kp=1.0, kd=0.0, torque_limit=1.0, ki=1.0, integral_limit=0.0),
        dict(kp=1.0, kd=0.0, torque_limit=1.0, ki=0.0, integral_limit=-1.0),
        dict(kp=[1.0, 1.0, 1.0], kd=[0.0, 0.0], torque_limit=1.0),
        dict(kp=np.ones((2, 2)), kd=0.0, torque_limit=1.0),
    ],
    ids=[
        "negative-kp",
        "negative-kd",
        "negative-ki",
        "one-negative-kp",
        "nan-kp",
        "inf-kp",
        "zero-torque-limit",
        "negative-torque-limit",
        "ki-without-integral-limit",
        "negative-integral-limit",
        "mismatched-lengths",
        "2d-gain",
    ],
)
def test_bad_gains_or_limits_raise(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        JointPid(**kwargs)


@pytest.mark.parametrize("dt", [0.0, -0.002, math.nan, math.inf])
def test_non_positive_dt_raises(dt: float) -> None:
    pid = JointPid(kp=1.0, kd=0.0, torque_limit=1.0)
    with pytest.raises(ValueError, match="dt"):
        pid.compute(np.zeros(1), np.zeros(1), np.zeros(1), dt)


def simulate_pendulum(pid: JointPid, target: float, seconds: float) -> np.ndarray:
    """Joint angle trajectory [rad] of a gravity-loaded link under `pid`.

    I qdd = tau - m g l sin(q), integrated with semi-implicit Euler at 1 kHz from rest at
    q = 0, the controller running every step (as it does inside training).
    """
    inertia = 0.1  # kg m^2
    gravity_moment = 2.0 * 9.81 * 0.2  # m g l [N m]
    dt = 0.001
    q = np.zeros(1)
    qd = np.zeros(1)
    trajectory = []
    for _ in range(round(seconds / dt)):
        tau = pid.compute(np.array([target]), q, qd, dt)
        qd = qd + dt * (tau - gravity_moment * np.sin(q)) / inertia
        q = q + dt * qd
        trajectory.append(q[0])
    return np.array(trajectory)


def test_closed_loop_with_integral_reaches_target_against_gravity() -> None:
    target = 1.0  # rad; gravity pulls back with 3.3 N m there
    # The first 1 rad step asks for 30 N m: the clamp is hit, so anti-windup is in play.
    gains = dict(kp=30.0, kd=2.0, torque_limit=23.7)
    with_pd = simulate_pendulum(JointPid(**gains), target, seconds=3.0)
    with_pid = simulate_pendulum(JointPid(**gains, ki=80.0, integral_limit=0.5), target, 3.0)
    # PD alone settles short by the gravity torque over kp (about 0.1 rad) ...
    assert target - with_pd[-1] > 0.05
    # ... the integral removes that offset, with a bounded overshoot and no oscillation.
    assert abs(with_pid[-1] - target) < 1e-3
    assert with_pid.max() < target + 0.25
    assert np.abs(with_pid[-1000:] - target).max() < 1e-3
