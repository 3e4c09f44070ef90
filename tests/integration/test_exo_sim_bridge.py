"""The sim bridge with robot:=exoskeleton: the wearer walks on the treadmill wearing the hip
device; the bridge offers what the device measures (actuator states, cuff IMUs), the
wearer's ground truth, and applies torque commands, zero torque when they stop.

Judged in sim time, at half real time: two loaded cores cannot be relied on for more.
"""

from __future__ import annotations

import numpy as np
import pytest
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import Imu, JointState

from legkit.robots import EXOSKELETON
from legkit.thigh_imu import thigh_reading
from legkit.wearer.gait import WEARER_JOINTS
from legkit_ros import ros_io, topics
from tests.integration.harness import Probe, node_process, wait_until

pytestmark = pytest.mark.integration

SLOW = 0.5
"""real_time_factor of every bridge here."""
STRIDE = 1.05
"""Stride period of the nominal walk [s]."""


@pytest.fixture
def launch_exo(tmp_path):
    """Start the exoskeleton's sim bridge (config/exoskeleton.yaml + `params`)."""
    started = []

    def _launch(**params):
        node = node_process(
            "sim_bridge", tmp_path, {"real_time_factor": SLOW, **params}, "exoskeleton"
        )
        started.append(node)
        return node

    yield _launch
    for node in started:
        node.stop()


class Device(Probe):
    """Plays the device's controller: answers each joint state with a command while
    `sending`; records everything the bridge publishes."""

    def __init__(self) -> None:
        super().__init__("exo_driver")
        self.clock: list[Clock] = []
        self.states: list[JointState] = []
        self.wearer: list[JointState] = []
        self.imus: tuple[list[Imu], list[Imu]] = ([], [])
        self.sending = False
        self.names = list(reversed(EXOSKELETON.joint_names))  # the bridge orders by name
        self.effort = np.array([4.0, -6.0])  # in self.names order
        self.position: np.ndarray | None = None  # PD targets instead of torques
        self.pub = self.create_publisher(JointState, topics.EFFORT_COMMANDS, topics.CONTROL_QOS)
        self.create_subscription(Clock, topics.CLOCK, self.clock.append, topics.RECORD_QOS)
        self.create_subscription(JointState, topics.JOINT_STATES, self.on_state, topics.RECORD_QOS)
        self.create_subscription(
            JointState, topics.WEARER_STATES, self.wearer.append, topics.RECORD_QOS
        )
        for side, topic in enumerate(topics.THIGH_IMUS):
            self.create_subscription(Imu, topic, self.imus[side].append, topics.RECORD_QOS)

    def on_state(self, msg: JointState) -> None:
        self.states.append(msg)
        if not self.sending:
            return
        if self.position is not None:
            command = ros_io.joint_state_msg(
                self.names, msg.header.stamp, self.position, np.zeros(2), np.zeros(2)
            )
        else:
            command = ros_io.joint_state_msg(self.names, msg.header.stamp, effort=self.effort)
        self.pub.publish(command)

    def sim_time(self) -> float:
        return ros_io.stamp_to_sec(self.states[-1].header.stamp) if self.states else 0.0

    def imu_span(self) -> float:
        """Sim time covered by the thigh IMU samples received, the shorter side [s].

        Discovery may take a few seconds on a loaded machine: the first samples a probe
        sees need not be the bridge's first.
        """
        spans = [
            ros_io.stamp_to_sec(m[-1].header.stamp) - ros_io.stamp_to_sec(m[0].header.stamp)
            for m in self.imus
            if m
        ]
        return min(spans) if len(spans) == 2 else 0.0

    def efforts_by_name(self, msg: JointState) -> dict[str, float]:
        return dict(zip(msg.name, msg.effort, strict=True))


@pytest.fixture
def device():
    d = Device().start()
    yield d
    d.close()


def test_it_publishes_the_clock_the_actuators_both_thigh_imus_and_the_wearer(launch_exo, device):
    launch_exo()
    wait_until(lambda: device.imu_span() > 1.2 * STRIDE, 60.0, "a stride of thigh IMU data")
    assert device.clock and ros_io.stamp_to_sec(device.clock[-1].clock) > STRIDE
    last = device.states[-1]
    assert tuple(last.name) == EXOSKELETON.joint_names
    assert len(last.position) == len(last.velocity) == len(last.effort) == 2
    np.testing.assert_array_equal(last.effort, 0.0)  # nothing commanded yet
    # Every physics step (500 Hz) has its stamp: the stamps are whole steps apart.
    steps = np.diff([ros_io.stamp_to_sec(m.header.stamp) for m in device.states]) / 0.002
    np.testing.assert_allclose(steps, np.round(steps), atol=1e-6)
    assert np.all(np.round(steps) >= 1)  # increasing

    for side, frame in enumerate(("left_thigh_imu", "right_thigh_imu")):
        imus = list(device.imus[side])
        assert {m.header.frame_id for m in imus} == {frame}
        t = np.array([ros_io.stamp_to_sec(m.header.stamp) for m in imus])
        stride = [m for m, ti in zip(imus, t, strict=True) if t[-1] - ti <= STRIDE]
        angles = [
            thigh_reading(
                np.array([m.orientation.x, m.orientation.y, m.orientation.z, m.orientation.w]),
                np.array([m.angular_velocity.x, m.angular_velocity.y, m.angular_velocity.z]),
            )[0]
            for m in stride
        ]
        # The thigh swings from extension behind to flexion in front (~ -10..36 deg).
        assert np.ptp(angles) > 0.3, f"{frame}: thigh angle range {np.ptp(angles):.2f} rad"
        assert -0.5 < min(angles) and max(angles) < 1.0

    wearer = device.wearer[-1]
    assert tuple(wearer.name) == WEARER_JOINTS
    assert len(wearer.position) == len(wearer.velocity) == 6
    # Effort is the wearer's muscle torque: walking takes tens of N m at hips and knees.
    assert np.abs(wearer.effort).max() > 5.0
    assert np.abs(wearer.effort).max() < 250.0


def test_an_effort_command_on_the_hips_arrives_in_the_joint_state_effort(launch_exo, device):
    device.sending = True
    launch_exo()
    wait_until(lambda: device.sim_time() > 0.5, 60.0, "half a simulated second")
    expected = dict(zip(device.names, device.effort, strict=True))
    wait_until(
        lambda: device.efforts_by_name(device.states[-1]) == expected, 10.0, "commanded effort"
    )
    # Beyond the actuator's peak torque, the command arrives clamped to it.
    device.effort = np.array([40.0, -40.0])
    limit = EXOSKELETON.effort_limits[0]
    clamped = {device.names[0]: limit, device.names[1]: -limit}
    wait_until(lambda: device.efforts_by_name(device.states[-1]) == clamped, 10.0, "clamped effort")


def test_a_pd_target_command_is_refused_and_zero_torque_applied(launch_exo, device):
    device.sending = True
    bridge = launch_exo()
    wait_until(lambda: device.sim_time() > 0.5, 60.0, "half a simulated second")
    wait_until(lambda: device.states[-1].effort[0] != 0.0, 10.0, "applied effort")
    device.position = np.array([0.2, 0.2])  # what a controller with pd_in_motor sends
    wait_until(lambda: bridge.log_lines("PD-target command refused"), 10.0, "the refusal")
    n = len(device.states)
    wait_until(lambda: len(device.states) > n + 50, 10.0, "states after the refusal")
    np.testing.assert_array_equal(device.states[-1].effort, 0.0)
    assert len(bridge.log_lines("PD-target command refused")) == 1  # not once per command


def test_zero_torque_when_commands_stop_for_the_effort_timeout(launch_exo, device):
    device.sending = True
    bridge = launch_exo()
    wait_until(lambda: device.sim_time() > 0.5, 60.0, "half a simulated second")
    wait_until(lambda: device.states[-1].effort[0] != 0.0, 10.0, "applied effort")
    device.sending = False
    wait_until(lambda: bridge.log_lines("applying zero torque"), 10.0, "effort timeout")
    n = len(device.states)
    wait_until(lambda: len(device.states) > n + 10, 10.0, "states after the timeout")
    np.testing.assert_array_equal(device.states[-1].effort, 0.0)
    assert len(bridge.log_lines("no effort command for 50 ms: applying zero torque")) == 1


@pytest.mark.parametrize(
    "params, reason",
    [
        ({"initial_pose": "standing"}, "initial_pose 'standing' is the quadruped's"),
        ({"task": "run"}, "unknown task 'run'"),
    ],
)
def test_settings_the_exoskeleton_cannot_run_are_refused_at_start(launch_exo, params, reason):
    bridge = launch_exo(**params)
    wait_until(lambda: bridge.returncode is not None, 30.0, "the bridge to exit")
    assert bridge.returncode == 1
    assert bridge.log_lines(reason)
