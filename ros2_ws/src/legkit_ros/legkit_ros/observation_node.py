"""Observation node: builds the policy observation on a fixed timer (50 Hz).

The layout comes from the policy's contract and the vector from the same core
ObservationBuilder training uses, so the policy sees on the robot exactly what it
saw in training. Inputs: /joint_states, /imu/data, /cmd_vel, and the policy's last
raw action on /policy/action. A non-finite observation is not published; a fault
is raised instead and the controller goes to DAMPING. `drop_fraction` injects message
loss on its inputs (tests only, legkit_ros.drops): a lost sample leaves the previous one
in use.
"""

from __future__ import annotations

import time

import numpy as np
from geometry_msgs.msg import Twist
from rclpy.node import Node
from sensor_msgs.msg import Imu, JointState
from std_msgs.msg import Float32MultiArray

from legkit.paths import resolve_model
from legkit.policy import ObservationBuilder, ObservationInputs, is_finite, read_contract
from legkit.robots import get_profile
from legkit.robots.joint_map import JointMap, JointNameError
from legkit.timing import RateMonitor
from legkit_ros import topics
from legkit_ros.drops import MessageDrops
from legkit_ros.faults import FaultReporter
from legkit_ros.latest import LatestMessage
from legkit_ros.ros_io import OK, WARN, DiagnosticsPublisher
from legkit_ros.spin import StartupError, run_node


class ObservationNode(Node):
    NODE_NAME = "observation"

    def __init__(self, **kwargs) -> None:
        super().__init__(self.NODE_NAME, **kwargs)
        self.profile = get_profile(self.declare_parameter("robot", "quadruped").value)
        policy_path = str(resolve_model(self.declare_parameter("policy", "").value))
        self.cmd_timeout = self.declare_parameter("cmd_vel_timeout", 0.5).value
        try:
            contract = read_contract(policy_path)
        except (ValueError, FileNotFoundError) as err:
            raise StartupError(str(err)) from err
        if tuple(contract.joint_names) != self.profile.joint_names:
            raise StartupError(
                f"policy '{policy_path}': contract joint order does not match robot "
                f"'{self.profile.name}'"
            )
        self.builder = ObservationBuilder.from_contract(contract)
        self.period = contract.control_period
        n = self.profile.num_joints
        self.joint_map = JointMap(self.profile.joint_names)

        self.joint_pos: np.ndarray | None = None
        self.joint_vel: np.ndarray | None = None
        self.imu: tuple[np.ndarray, np.ndarray] | None = None
        self.command = np.zeros(3)
        self.last_cmd_time: float | None = None
        self.cmd_stale_logged = False
        self.last_action = np.zeros(n)
        self.rejected: set[tuple[str, ...]] = set()

        self.obs_pub = self.create_publisher(
            Float32MultiArray, topics.OBSERVATION, topics.CONTROL_QOS
        )
        self.faults = FaultReporter(self)
        self.drops = MessageDrops(self)
        # Sampled at the observation tick, not dispatched at 250 Hz.
        self.joint_states = LatestMessage(
            self,
            JointState,
            topics.JOINT_STATES,
            topics.CONTROL_QOS,
            keep=self.drops.keeper(topics.JOINT_STATES),
        )
        self.imu_data = LatestMessage(
            self, Imu, topics.IMU, topics.CONTROL_QOS, keep=self.drops.keeper(topics.IMU)
        )
        self.create_subscription(Twist, topics.CMD_VEL, self.on_cmd_vel, topics.EVENT_QOS)
        self.create_subscription(
            Float32MultiArray,
            topics.ACTION,
            self.drops.wrap(topics.ACTION, self.on_action),
            topics.CONTROL_QOS,
        )
        self.create_timer(self.period, self.tick)
        self.loop = RateMonitor(self.period)
        self.published = 0
        self.diagnostics_pub = DiagnosticsPublisher(self, self.diagnostics)
        self.get_logger().info(
            f"observation of {self.builder.size} values at {1.0 / self.period:.0f} Hz "
            f"from contract of '{policy_path}'"
        )

    def now(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def on_joint_state(self, msg: JointState) -> None:
        try:
            perm = self.joint_map.permutation(msg.name)
        except JointNameError as err:
            if tuple(msg.name) not in self.rejected:
                self.rejected.add(tuple(msg.name))
                self.get_logger().error(f"/joint_states rejected: {err}")
            return
        self.joint_pos = np.asarray(msg.position, dtype=float)[perm]
        self.joint_vel = np.asarray(msg.velocity, dtype=float)[perm]

    def on_imu(self, msg: Imu) -> None:
        q, w = msg.orientation, msg.angular_velocity
        self.imu = (np.array([q.x, q.y, q.z, q.w]), np.array([w.x, w.y, w.z]))

    def on_cmd_vel(self, msg: Twist) -> None:
        self.command = np.array([msg.linear.x, msg.linear.y, msg.angular.z])
        self.last_cmd_time = self.now()
        self.cmd_stale_logged = False

    def on_action(self, msg: Float32MultiArray) -> None:
        if len(msg.data) == len(self.last_action):
            self.last_action = np.asarray(msg.data, dtype=float)

    def tick(self) -> None:
        self.loop.tick(time.perf_counter())
        js, imu = self.joint_states.take(), self.imu_data.take()
        if js is not None:
            self.on_joint_state(js)
        if imu is not None:
            self.on_imu(imu)
        if self.joint_pos is None or self.imu is None:
            return  # nothing to observe yet
        if self.last_cmd_time is not None and self.now() - self.last_cmd_time > self.cmd_timeout:
            if not self.cmd_stale_logged:
                self.cmd_stale_logged = True
                self.get_logger().warning(
                    f"/cmd_vel silent for more than {self.cmd_timeout:.2f} s: "
                    "commanding zero velocity"
                )
            self.command = np.zeros(3)
        obs = self.builder.build(
            ObservationInputs(
                base_angular_velocity=self.imu[1],
                base_orientation=self.imu[0],
                velocity_command=self.command,
                joint_positions=self.joint_pos,
                joint_velocities=self.joint_vel,
                last_action=self.last_action,
            )
        )
        if not is_finite(obs):
            bad = [
                name
                for name, s in self.builder.term_slices().items()
                if not np.all(np.isfinite(obs[s]))
            ]
            self.faults.report("nan_observation", f"non-finite observation in terms {bad}")
            return
        self.faults.clear()
        self.obs_pub.publish(Float32MultiArray(data=obs.tolist()))
        self.published += 1

    def diagnostics(self):
        values = {"published": float(self.published), **self.loop.summary()}
        values.update(self.drops.summary())
        if self.joint_pos is None or self.imu is None:
            return WARN, "waiting for /joint_states and /imu/data", values
        return OK, "publishing", values


def main(args=None) -> None:
    run_node(ObservationNode, args)


if __name__ == "__main__":
    main()
