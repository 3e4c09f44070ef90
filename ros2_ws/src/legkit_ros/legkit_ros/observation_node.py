"""Observation node: builds the policy observation on a fixed timer (the contract's rate).

The layout comes from the policy's contract and the vector from the same core
ObservationBuilder training uses, so the policy sees on the robot exactly what it
saw in training. The node reads only the sensors that layout needs: for the quadruped
/joint_states, /imu/data and /cmd_vel; for the exoskeleton the two thigh-cuff IMUs
(/thigh_imu/left, /thigh_imu/right, decoded by legkit.thigh_imu). Every layout takes the
policy's last raw action on /policy/action. A non-finite observation is not published;
a fault is raised instead and the controller goes to its safe state. `drop_fraction`
injects message loss on its inputs (tests only, legkit_ros.drops): a lost sample leaves
the previous one in use.
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
from legkit.thigh_imu import thigh_reading
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
        reads = self.builder.inputs_read
        self.uses_joints = bool({"joint_positions", "joint_velocities"} & reads)
        self.uses_base_imu = bool({"base_orientation", "base_angular_velocity"} & reads)
        self.uses_thighs = bool({"thigh_angles", "thigh_angular_velocities"} & reads)
        self.uses_command = "velocity_command" in reads

        self.joint_pos: np.ndarray | None = None
        self.joint_vel: np.ndarray | None = None
        self.imu: tuple[np.ndarray, np.ndarray] | None = None
        self.thighs: list[tuple[float, float] | None] = [None, None]  # (angle, rate) L, R
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
        # Sensors are sampled at the observation tick, not dispatched at the physics rate.
        self.sensors: list[tuple[str, LatestMessage, object]] = []
        if self.uses_joints:
            self._sample(JointState, topics.JOINT_STATES, self.on_joint_state)
        if self.uses_base_imu:
            self._sample(Imu, topics.IMU, self.on_imu)
        if self.uses_thighs:
            for side, topic in enumerate(topics.THIGH_IMUS):
                self._sample(Imu, topic, lambda msg, side=side: self.on_thigh_imu(side, msg))
        if self.uses_command:
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
            f"from contract of '{policy_path}', reading {', '.join(self.sensor_topics())}"
        )

    def _sample(self, msg_type, topic: str, handle) -> None:
        latest = LatestMessage(
            self, msg_type, topic, topics.CONTROL_QOS, keep=self.drops.keeper(topic)
        )
        self.sensors.append((topic, latest, handle))

    def sensor_topics(self) -> list[str]:
        return [topic for topic, _, _ in self.sensors] or ["no sensors"]

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

    def on_thigh_imu(self, side: int, msg: Imu) -> None:
        q, w = msg.orientation, msg.angular_velocity
        self.thighs[side] = thigh_reading(np.array([q.x, q.y, q.z, q.w]), np.array([w.x, w.y, w.z]))

    def waiting_for(self) -> list[str]:
        """The sensors that have not reported yet."""
        missing = []
        if self.uses_joints and self.joint_pos is None:
            missing.append(topics.JOINT_STATES)
        if self.uses_base_imu and self.imu is None:
            missing.append(topics.IMU)
        if self.uses_thighs:
            missing += [t for t, r in zip(topics.THIGH_IMUS, self.thighs, strict=True) if r is None]
        return missing

    def on_cmd_vel(self, msg: Twist) -> None:
        self.command = np.array([msg.linear.x, msg.linear.y, msg.angular.z])
        self.last_cmd_time = self.now()
        self.cmd_stale_logged = False

    def on_action(self, msg: Float32MultiArray) -> None:
        if len(msg.data) == len(self.last_action):
            self.last_action = np.asarray(msg.data, dtype=float)

    def tick(self) -> None:
        self.loop.tick(time.perf_counter())
        for _, latest, handle in self.sensors:
            msg = latest.take()
            if msg is not None:
                handle(msg)
        if self.waiting_for():
            return  # nothing to observe yet
        if (
            self.uses_command
            and self.last_cmd_time is not None
            and self.now() - self.last_cmd_time > self.cmd_timeout
        ):
            if not self.cmd_stale_logged:
                self.cmd_stale_logged = True
                self.get_logger().warning(
                    f"/cmd_vel silent for more than {self.cmd_timeout:.2f} s: "
                    "commanding zero velocity"
                )
            self.command = np.zeros(3)
        inputs = ObservationInputs(last_action=self.last_action)
        if self.uses_joints:
            inputs.joint_positions, inputs.joint_velocities = self.joint_pos, self.joint_vel
        if self.uses_base_imu:
            inputs.base_orientation, inputs.base_angular_velocity = self.imu
        if self.uses_command:
            inputs.velocity_command = self.command
        if self.uses_thighs:
            inputs.thigh_angles = np.array([r[0] for r in self.thighs])
            inputs.thigh_angular_velocities = np.array([r[1] for r in self.thighs])
        obs = self.builder.build(inputs)
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
        missing = self.waiting_for()
        if missing:
            return WARN, f"waiting for {' and '.join(missing)}", values
        return OK, "publishing", values


def main(args=None) -> None:
    run_node(ObservationNode, args)


if __name__ == "__main__":
    main()
