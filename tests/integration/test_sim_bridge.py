"""The sim bridge: same topics as a robot driver, and zero torque when commands stop."""

from __future__ import annotations

import numpy as np
import pytest
from sensor_msgs.msg import Imu, JointState

from legkit.robots import QUADRUPED
from legkit_ros import ros_io, topics
from tests.integration.harness import Probe, wait_until

pytestmark = pytest.mark.integration


class Driver(Probe):
    """Sends effort commands while `sending`; records what the bridge reports."""

    def __init__(self) -> None:
        super().__init__("effort_driver")
        self.states: list[JointState] = []
        self.imu: list[Imu] = []
        self.sending = True
        self.effort = np.full(QUADRUPED.num_joints, 1.0)
        self.pub = self.create_publisher(JointState, topics.EFFORT_COMMANDS, topics.CONTROL_QOS)
        self.create_subscription(JointState, topics.JOINT_STATES, self.on_state, topics.RECORD_QOS)
        self.create_subscription(Imu, topics.IMU, self.imu.append, topics.RECORD_QOS)

    def on_state(self, msg: JointState) -> None:
        self.states.append(msg)
        if self.sending:
            self.pub.publish(
                ros_io.joint_state_msg(QUADRUPED.joint_names, msg.header.stamp, effort=self.effort)
            )


@pytest.fixture
def driver():
    d = Driver().start()
    yield d
    d.close()


def test_bridge_publishes_named_states_and_imu_and_applies_efforts(launch, driver):
    launch("sim_bridge", initial_pose="standing")
    wait_until(lambda: len(driver.states) > 100 and driver.imu, 30.0, "states and IMU")
    last = driver.states[-1]
    assert tuple(last.name) == QUADRUPED.joint_names
    assert len(last.position) == len(last.velocity) == QUADRUPED.num_joints
    np.testing.assert_allclose(last.effort, 1.0)  # the commanded effort is applied


def test_bridge_applies_zero_torque_when_commands_stop(launch, driver):
    bridge = launch("sim_bridge", initial_pose="standing")
    wait_until(lambda: len(driver.states) > 100, 30.0, "states")
    driver.sending = False
    wait_until(lambda: bridge.log_lines("applying zero torque"), 10.0, "effort timeout")
    n = len(driver.states)
    wait_until(lambda: len(driver.states) > n + 10, 10.0, "states after the timeout")
    np.testing.assert_array_equal(driver.states[-1].effort, 0.0)
    assert len(bridge.log_lines("applying zero torque")) == 1
