"""The controller process reaches its defined safe state for each bad input.

The controller runs as its own process over DDS; the test plays the robot driver
(FakeRobot) at 100 Hz, so the state timeout is 3 x 10 ms = 30 ms and the target
timeout 3 x 20 ms = 60 ms.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from std_msgs.msg import Bool
from std_srvs.srv import Trigger

from legkit.robots import QUADRUPED
from legkit_ros import topics
from tests.integration.fake_robot import FakeRobot
from tests.integration.harness import wait_until

pytestmark = pytest.mark.integration

STATE_RATE = 100.0  # the test process plays the robot; 100 Hz it can drive steadily
STATE_TIMEOUT_MS = 3 * 1000.0 / STATE_RATE
TARGET_TIMEOUT_MS = 3 * 20.0
PERIOD_MS = 1000.0 / STATE_RATE


@pytest.fixture
def robot():
    fake = FakeRobot(STATE_RATE).start()
    yield fake
    fake.close()


@pytest.fixture
def controller(launch):
    # These specifications read the torque laws off the wire, so the controller sends
    # torques; that the motor-side law (pd_in_motor) gives the same torque in every mode
    # is tests/unit/test_supervisor.py.
    return launch("controller", use_sim_time=True, state_rate_hz=STATE_RATE, pd_in_motor=False)


def bring_to_active(robot: FakeRobot) -> None:
    robot.targets = QUADRUPED.default_positions.copy()
    wait_until(lambda: robot.mode == "ACTIVE", 20.0, "controller to reach ACTIVE")


def call(robot: FakeRobot, name: str) -> Trigger.Response:
    client = robot.create_client(Trigger, name)
    assert client.wait_for_service(timeout_sec=5.0), f"service {name} not offered"
    future = client.call_async(Trigger.Request())
    wait_until(future.done, 5.0, f"reply from {name}")
    return future.result()


def reported_age_ms(log: str, what: str) -> float:
    match = re.search(rf"{re.escape(what)} stale: ([0-9.]+) ms", log)
    assert match, f"no '{what} stale' line in controller log:\n{log}"
    return float(match.group(1))


def test_stands_up_then_follows_targets(robot, controller):
    bring_to_active(robot)
    modes = [m for _, m in robot.modes]
    assert modes.index("STANDUP") < modes.index("ACTIVE")


def test_stale_joint_states_enter_damping_within_one_period(robot, controller):
    bring_to_active(robot)
    robot.publish_states = False  # the clock runs on; states stop
    wait_until(lambda: robot.mode == "DAMPING", 5.0, "DAMPING after states stop")
    age = reported_age_ms(controller.log(), "/joint_states")
    assert STATE_TIMEOUT_MS < age <= STATE_TIMEOUT_MS + PERIOD_MS + 1e-6
    assert len(controller.log_lines("-> DAMPING")) == 1


def test_stale_targets_enter_damping_within_one_period(robot, controller):
    bring_to_active(robot)
    robot.targets = None
    wait_until(lambda: robot.mode == "DAMPING", 5.0, "DAMPING after targets stop")
    age = reported_age_ms(controller.log(), "targets")
    assert TARGET_TIMEOUT_MS < age <= TARGET_TIMEOUT_MS + PERIOD_MS + 1e-6


def test_damping_applies_only_damping_torque(robot, controller):
    bring_to_active(robot)
    robot.targets = None
    wait_until(lambda: robot.mode == "DAMPING", 5.0, "DAMPING")
    robot.publish_states = True
    robot.velocities = np.full(QUADRUPED.num_joints, 0.5)
    robot.positions = QUADRUPED.default_positions + 0.3  # stiffness would push back: it must not
    n = len(robot.efforts)
    wait_until(lambda: len(robot.efforts) > n + 20, 5.0, "efforts in DAMPING")
    expected = -QUADRUPED.damping_kd * 0.5
    assert np.allclose(robot.efforts_since(n + 10)[-1], expected, atol=1e-6)


@pytest.mark.parametrize("field", ["positions", "velocities"])
def test_nan_joint_state_enters_damping_naming_the_joint(robot, controller, field):
    bring_to_active(robot)
    values = getattr(robot, field).copy()
    values[4] = float("nan")
    setattr(robot, field, values)
    wait_until(lambda: robot.mode == "DAMPING", 5.0, "DAMPING after NaN state")
    (line,) = controller.log_lines("-> DAMPING")
    assert QUADRUPED.joint_names[4] in line
    for torques in robot.efforts_since(0):
        assert np.all(np.isfinite(torques))


def test_nan_target_enters_damping(robot, controller):
    bring_to_active(robot)
    target = QUADRUPED.default_positions.copy()
    target[7] = float("inf")
    robot.targets = target
    wait_until(lambda: robot.mode == "DAMPING", 5.0, "DAMPING after non-finite target")
    assert QUADRUPED.joint_names[7] in controller.log_lines("-> DAMPING")[0]


def test_out_of_range_target_is_clamped_to_the_joint_range(robot, controller):
    bring_to_active(robot)
    j = QUADRUPED.joint_index("LF_KFE")  # clamped error 0.6 rad: below the torque limit
    target = QUADRUPED.default_positions.copy()
    target[j] = QUADRUPED.upper_limits[j] + 2.0
    robot.targets = target
    wait_until(lambda: controller.log_lines("clamped"), 5.0, "clamp log line")
    n = len(robot.efforts)
    wait_until(lambda: len(robot.efforts) > n + 5, 5.0, "efforts after clamping")
    torque = robot.efforts_since(n)[-1][j]
    spec = QUADRUPED.joints[j]
    expected = min(spec.kp * (spec.upper - spec.default_position), spec.effort_limit)
    assert torque == pytest.approx(expected, rel=1e-6)
    assert robot.mode == "ACTIVE"
    assert len(controller.log_lines("clamped")) == 1


def test_torques_never_exceed_the_profile_limit(robot, controller):
    bring_to_active(robot)
    robot.positions = QUADRUPED.lower_limits.copy()  # far from every target
    robot.targets = QUADRUPED.upper_limits.copy()
    n = len(robot.efforts)
    wait_until(lambda: len(robot.efforts) > n + 50, 5.0, "efforts")
    for torques in robot.efforts_since(n):
        assert np.all(np.abs(torques) <= QUADRUPED.effort_limits + 1e-9)
    assert np.allclose(np.abs(robot.efforts_since(n)[-1]), QUADRUPED.effort_limits)


@pytest.mark.parametrize(
    "names",
    [
        pytest.param(list(QUADRUPED.joint_names[:-1]) + ["LF_WHEEL"], id="unknown-name"),
        pytest.param(list(QUADRUPED.joint_names[:-1]), id="missing-name"),
    ],
)
def test_joint_states_with_wrong_names_are_rejected_and_logged_once(robot, controller, names):
    robot.names = names
    robot.positions = robot.positions[: len(names)]
    robot.velocities = robot.velocities[: len(names)]
    wait_until(lambda: len(robot.state_stamps) > 100, 5.0, "bad joint states sent")
    wait_until(lambda: controller.log_lines("rejected"), 5.0, "rejection log line")
    assert len(controller.log_lines("rejected")) == 1
    assert robot.efforts == []  # no torque derived from them
    assert robot.mode == "IDLE"


@pytest.mark.parametrize("via", ["topic", "service"])
def test_estop_gives_zero_torque_latched_until_reset(robot, controller, via):
    bring_to_active(robot)
    if via == "topic":
        pub = robot.create_publisher(Bool, topics.ESTOP, topics.EVENT_QOS)
        wait_until(lambda: pub.get_subscription_count() > 0, 5.0, "controller on /estop")
        pub.publish(Bool(data=True))
    else:
        assert call(robot, topics.SRV_ESTOP).success
    wait_until(lambda: robot.mode == "ESTOP", 5.0, "ESTOP")
    n = len(robot.efforts)
    wait_until(lambda: len(robot.efforts) > n + 20, 5.0, "efforts in ESTOP")
    assert all(np.all(t == 0.0) for t in robot.efforts_since(n))

    assert not call(robot, topics.SRV_START).success  # latched
    assert robot.mode == "ESTOP"
    assert call(robot, topics.SRV_RESET).success
    wait_until(lambda: robot.mode == "IDLE", 5.0, "IDLE after reset")
    assert call(robot, topics.SRV_START).success
    wait_until(lambda: robot.mode == "STANDUP", 5.0, "STANDUP on explicit start")
