"""The sim bridge: same topics as a robot driver, torque or PD-target commands, and zero
torque when commands stop."""

from __future__ import annotations

import numpy as np
import pytest
from sensor_msgs.msg import Imu, JointState

from legkit.robots import QUADRUPED
from legkit.robots.joint_map import JointMap, JointNameError
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
        self.position: np.ndarray | None = None  # PD targets instead of torques
        self.pub = self.create_publisher(JointState, topics.EFFORT_COMMANDS, topics.CONTROL_QOS)
        self.create_subscription(JointState, topics.JOINT_STATES, self.on_state, topics.RECORD_QOS)
        self.create_subscription(Imu, topics.IMU, self.imu.append, topics.RECORD_QOS)

    def on_state(self, msg: JointState) -> None:
        self.states.append(msg)
        if self.sending and self.position is not None:
            zeros = np.zeros(QUADRUPED.num_joints)
            self.pub.publish(
                ros_io.joint_state_msg(
                    QUADRUPED.joint_names, msg.header.stamp, self.position, zeros, zeros
                )
            )
        elif self.sending:
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


def test_bridge_tracks_pd_targets_every_physics_step_with_the_profile_gains(launch, driver):
    # What the controller sends with pd_in_motor: the bridge plays the motor firmware.
    driver.position = QUADRUPED.default_positions.copy()
    # Half real time and a longer effort timeout: the driver in the test process answers
    # in time on a loaded machine, and the start-up gap below is half as long in sim time.
    bridge = launch("sim_bridge", initial_pose="standing", real_time_factor=0.5, effort_timeout=0.2)
    wait_until(lambda: bridge.log_lines("effort commands received"), 30.0, "first command")
    n = len(driver.states)
    wait_until(lambda: len(driver.states) > n + 250, 30.0, "one simulated second of states")
    assert not bridge.log_lines("applying zero torque")
    last = driver.states[-1]
    q, qd = np.array(last.position), np.array(last.velocity)
    # Still standing, not folded (the lying knees are 1.15 rad further bent). The knees
    # sag ~0.15 rad under the body at kp 30, as in training, and more when the body
    # sank under zero torque before the first command arrived (DDS discovery takes a
    # few hundred ms on a loaded machine): kp 30 does not lift it all the way back.
    np.testing.assert_allclose(q, QUADRUPED.default_positions, atol=0.45)
    expected = QUADRUPED.kp * (QUADRUPED.default_positions - q) - QUADRUPED.kd * qd
    # The torque applied is the one of the state before the last step.
    np.testing.assert_allclose(last.effort, expected, atol=1.0)
    assert np.abs(last.effort).max() > 0.5  # holding the body up takes torque


def msg(names, position=(), velocity=(), effort=()) -> JointState:
    m = JointState()
    m.name, m.position, m.velocity, m.effort = (
        list(names),
        list(position),
        list(velocity),
        list(effort),
    )
    return m


def test_a_named_command_selects_its_law_by_the_fields_it_fills():
    names = list(reversed(QUADRUPED.joint_names))
    joints = JointMap(QUADRUPED.joint_names)
    values = np.arange(QUADRUPED.num_joints, dtype=float)
    torque = ros_io.joint_command(joints, msg(names, effort=values))
    assert torque.position is None and torque.velocity is None
    np.testing.assert_array_equal(torque.effort, values[::-1])  # into profile order
    pd = ros_io.joint_command(joints, msg(names, position=values, velocity=values))
    np.testing.assert_array_equal(pd.position, values[::-1])
    assert pd.effort is None
    with pytest.raises(JointNameError, match="no position, velocity or effort"):
        ros_io.joint_command(joints, msg(names))
    with pytest.raises(JointNameError, match="12 joint names but 3 values"):
        ros_io.joint_command(joints, msg(names, position=[0.0, 1.0, 2.0]))
