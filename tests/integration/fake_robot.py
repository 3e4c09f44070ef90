"""A stand-in robot driver for controller tests: publishes /clock and /joint_states.

It speaks exactly what the sim bridge and hardware bridge speak (same topics, types
and QoS), holds a static pose, and lets a test break things on purpose: stop the
states while the clock runs on, send NaN, send wrong joint names, send targets.
"""

from __future__ import annotations

import numpy as np
from builtin_interfaces.msg import Time
from rclpy.clock import Clock, ClockType
from rosgraph_msgs.msg import Clock as ClockMsg
from sensor_msgs.msg import JointState
from std_msgs.msg import String

from legkit.robots import QUADRUPED
from legkit_ros import ros_io, topics
from tests.integration.harness import Probe


class FakeRobot(Probe):
    def __init__(self, rate_hz: float = 200.0) -> None:
        super().__init__("fake_robot")
        self.profile = QUADRUPED
        self.period = 1.0 / rate_hz
        self.sim_ns = 0
        self.names = list(QUADRUPED.joint_names)
        self.positions = QUADRUPED.default_positions.copy()
        self.velocities = np.zeros(QUADRUPED.num_joints)
        self.publish_states = True
        self.targets: np.ndarray | None = None  # published at 50 Hz when set
        self.last_state_time = 0.0
        self.state_stamps: list[int] = []
        self.efforts: list[tuple[int, np.ndarray]] = []  # (source stamp key, torques)
        self.modes: list[tuple[float, str]] = []  # (sim time seen, mode)
        self._ticks = 0
        self.clock_pub = self.create_publisher(ClockMsg, "/clock", topics.CONTROL_QOS)
        self.state_pub = self.create_publisher(JointState, topics.JOINT_STATES, topics.CONTROL_QOS)
        self.target_pub = self.create_publisher(
            JointState, topics.JOINT_TARGETS, topics.CONTROL_QOS
        )
        self.create_subscription(
            JointState, topics.EFFORT_COMMANDS, self._on_effort, topics.CONTROL_QOS
        )
        self.create_subscription(String, topics.CONTROLLER_STATE, self._on_mode, topics.LATCHED_QOS)
        self.create_timer(self.period, self._tick, clock=Clock(clock_type=ClockType.STEADY_TIME))

    @property
    def sim_time(self) -> float:
        return self.sim_ns * 1e-9

    @property
    def mode(self) -> str:
        with self.lock:
            return self.modes[-1][1] if self.modes else "UNKNOWN"

    def _tick(self) -> None:
        self.sim_ns += round(self.period * 1e9)
        stamp = Time(sec=self.sim_ns // 10**9, nanosec=self.sim_ns % 10**9)
        if self.publish_states:
            self.state_pub.publish(
                ros_io.joint_state_msg(
                    self.names, stamp, self.positions, self.velocities, np.zeros(len(self.names))
                )
            )
            with self.lock:
                self.last_state_time = self.sim_time
                self.state_stamps.append(self.sim_ns)
        self.clock_pub.publish(ClockMsg(clock=stamp))  # last, as the sim bridge does
        self._ticks += 1
        if self.targets is not None and self._ticks % max(1, round(0.02 / self.period)) == 0:
            self.target_pub.publish(
                ros_io.joint_state_msg(QUADRUPED.joint_names, stamp, position=self.targets)
            )

    def _on_effort(self, msg: JointState) -> None:
        with self.lock:
            self.efforts.append((ros_io.stamp_key(msg.header.stamp), np.array(msg.effort)))

    def _on_mode(self, msg: String) -> None:
        with self.lock:
            self.modes.append((self.sim_time, msg.data))

    def efforts_since(self, index: int) -> list[np.ndarray]:
        with self.lock:
            return [e for _, e in self.efforts[index:]]
