"""Watches a running graph and records what the run summary and plots need.

Subscribes only to public topics (/odom, /cmd_vel, /joint_states, /controller/state,
/diagnostics), so it works the same whether the nodes share its process or not, and
the same `RecordingBuilder` rebuilds a run from those topics in an MCAP recording.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import Twist
from nav_msgs.msg import Odometry
from rclpy.node import Node
from rosgraph_msgs.msg import Clock as ClockMsg
from sensor_msgs.msg import JointState
from std_msgs.msg import String

from legkit.robots.joint_map import JointMap, JointNameError
from legkit.robots.profile import RobotProfile
from legkit_ros import ros_io, topics
from legkit_ros.latest import LatestMessage


@dataclass
class Recording:
    """Time series of one run, sampled at the odometry rate, in sim time."""

    t: list[float] = field(default_factory=list)
    cmd: list[tuple[float, float, float]] = field(default_factory=list)
    vel: list[tuple[float, float, float]] = field(default_factory=list)  # vx, vy (base), yaw rate
    base_pos: list[np.ndarray] = field(default_factory=list)
    base_quat: list[np.ndarray] = field(default_factory=list)
    joint_pos: list[np.ndarray] = field(default_factory=list)
    joint_power: list[float] = field(default_factory=list)  # sum |effort * velocity| [W]
    mode: list[str] = field(default_factory=list)
    transitions: list[tuple[float, str]] = field(default_factory=list)
    diagnostics: dict[str, dict[str, float | str]] = field(default_factory=dict)
    diagnostic_messages: dict[str, str] = field(default_factory=dict)
    wall: list[float] = field(default_factory=list)  # monotonic time each sample arrived
    cpu_percent: dict[str, float] = field(default_factory=dict)  # per process, 100 = one core

    def real_time_factor(self) -> float:
        """Simulated seconds per wall second while the simulation ran."""
        if len(self.t) < 2 or self.wall[-1] <= self.wall[0]:
            return 0.0
        return (self.t[-1] - self.t[0]) / (self.wall[-1] - self.wall[0])

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "t": np.array(self.t),
            "cmd": np.array(self.cmd).reshape(-1, 3),
            "vel": np.array(self.vel).reshape(-1, 3),
            "base_pos": np.array(self.base_pos).reshape(-1, 3),
            "base_quat": np.array(self.base_quat).reshape(-1, 4),
            "mode": np.array(self.mode),
            "joint_power": np.array(self.joint_power),
        }


class RecordingBuilder:
    """Folds the graph's public messages into a Recording, live or replayed from a bag.

    Joints are sampled at each odometry message (the newest state before it), and a
    mode change is stamped with the newest sim clock, as the run monitor sees them live.
    """

    def __init__(self, profile: RobotProfile) -> None:
        self.rec = Recording()
        self.joint_map = JointMap(profile.joint_names)
        self.cmd = (0.0, 0.0, 0.0)
        self.mode = "UNKNOWN"
        self.joint_pos = profile.default_positions
        self.joint_power = 0.0
        self.sim_time = 0.0

    def on_cmd(self, msg: Twist) -> None:
        self.cmd = (msg.linear.x, msg.linear.y, msg.angular.z)

    def on_joint_state(self, msg: JointState) -> None:
        try:
            self.joint_pos = self.joint_map.to_profile_order(msg.name, msg.position)
            if len(msg.effort) == len(msg.name) and len(msg.velocity) == len(msg.name):
                self.joint_power = float(np.abs(np.multiply(msg.effort, msg.velocity)).sum())
        except JointNameError:
            pass

    def on_mode(self, msg: String, t: float) -> None:
        if msg.data != self.mode:
            self.mode = msg.data
            self.rec.transitions.append((t, msg.data))

    def on_odom(self, msg: Odometry, wall: float) -> None:
        """One sample; `wall` is when it arrived [s, any monotonic clock]."""
        self.sim_time = ros_io.stamp_to_sec(msg.header.stamp)
        p, q = msg.pose.pose.position, msg.pose.pose.orientation
        v, w = msg.twist.twist.linear, msg.twist.twist.angular
        r = self.rec
        r.t.append(self.sim_time)
        r.wall.append(wall)
        r.cmd.append(self.cmd)
        r.vel.append((v.x, v.y, w.z))
        r.base_pos.append(np.array([p.x, p.y, p.z]))
        r.base_quat.append(np.array([q.x, q.y, q.z, q.w]))
        r.joint_pos.append(np.array(self.joint_pos))
        r.joint_power.append(self.joint_power)
        r.mode.append(self.mode)

    def on_diag(self, msg: DiagnosticArray) -> None:
        for status in msg.status:
            self.rec.diagnostics[status.name] = ros_io.diagnostic_values(status)
            self.rec.diagnostic_messages[status.name] = status.message


class RunMonitor(Node):
    def __init__(self, profile: RobotProfile, **kwargs) -> None:
        super().__init__("run_monitor", **kwargs)
        self.builder = RecordingBuilder(profile)
        self.rec = self.builder.rec
        self.create_subscription(Odometry, topics.ODOM, self.on_odom, topics.RECORD_QOS)
        self.create_subscription(Twist, topics.CMD_VEL, self.builder.on_cmd, topics.EVENT_QOS)
        self.joint_states = LatestMessage(self, JointState, topics.JOINT_STATES, topics.CONTROL_QOS)
        self.clock = LatestMessage(self, ClockMsg, topics.CLOCK, topics.CONTROL_QOS)
        self.create_subscription(
            String, topics.CONTROLLER_STATE, self.on_mode, topics.MODE_WATCH_QOS
        )
        self.create_subscription(DiagnosticArray, topics.DIAGNOSTICS, self.builder.on_diag, 50)

    @property
    def sim_time(self) -> float:
        return self.builder.sim_time

    def on_mode(self, msg: String) -> None:
        clock = self.clock.take()
        t = ros_io.stamp_to_sec(clock.clock) if clock is not None else self.builder.sim_time
        self.builder.on_mode(msg, t)

    def on_odom(self, msg: Odometry) -> None:
        joint_state = self.joint_states.take()
        if joint_state is not None:
            self.builder.on_joint_state(joint_state)
        self.builder.on_odom(msg, time.monotonic())
