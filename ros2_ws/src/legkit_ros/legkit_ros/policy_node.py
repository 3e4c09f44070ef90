"""Policy node: one ONNX inference per observation, joint targets out.

The targets go out on /joint_targets as a named JointState: joint positions [rad] for a
position-actuated robot (the quadruped), the requested joint torques [N m] in the
effort field for a torque-actuated one (the exoskeleton's assistance), as the robot
profile's `actuation` says and as the policy was trained.

Refuses to start if the policy file is missing, not ONNX, has the wrong input or
output size, or its contract disagrees with the robot profile or the configured
control period. A non-finite action is never published: it raises a fault, and
the controller goes to DAMPING. `drop_fraction` injects loss of observations (tests
only, legkit_ros.drops).
"""

from __future__ import annotations

import time

import numpy as np
from rclpy.node import Node
from sensor_msgs.msg import JointState
from std_msgs.msg import Float32MultiArray

from legkit.paths import resolve_model
from legkit.policy import OnnxPolicy, PolicyLoadError
from legkit.robots import get_profile
from legkit.timing import LatencyMonitor
from legkit_ros import ros_io, topics
from legkit_ros.drops import MessageDrops
from legkit_ros.faults import FaultReporter
from legkit_ros.ros_io import OK, WARN, DiagnosticsPublisher
from legkit_ros.spin import StartupError, run_node


class PolicyNode(Node):
    NODE_NAME = "policy"

    def __init__(self, **kwargs) -> None:
        super().__init__(self.NODE_NAME, **kwargs)
        self.profile = get_profile(self.declare_parameter("robot", "quadruped").value)
        path = str(resolve_model(self.declare_parameter("policy", "").value))
        rate = self.declare_parameter("control_rate_hz", self.profile.control_rate_hz).value
        try:
            self.policy = OnnxPolicy(path, self.profile, control_period=1.0 / rate)
        except PolicyLoadError as err:
            raise StartupError(str(err)) from err
        self.contract = self.policy.contract
        self.torque_targets = self.profile.actuation == "torque"
        self.obs_size = self.contract.observation_size

        self.action_pub = self.create_publisher(
            Float32MultiArray, topics.ACTION, topics.CONTROL_QOS
        )
        self.target_pub = self.create_publisher(
            JointState, topics.JOINT_TARGETS, topics.CONTROL_QOS
        )
        self.drops = MessageDrops(self)
        self.create_subscription(
            Float32MultiArray,
            topics.OBSERVATION,
            self.drops.wrap(topics.OBSERVATION, self.on_observation),
            topics.CONTROL_QOS,
        )
        self.faults = FaultReporter(self)
        self.inference = LatencyMonitor()
        self.inferences = 0
        self.diagnostics_pub = DiagnosticsPublisher(self, self.diagnostics)
        provenance = self.contract.provenance.get("description", "")
        self.get_logger().info(f"running policy '{path}' ({provenance})")

    def on_observation(self, msg: Float32MultiArray) -> None:
        obs = np.asarray(msg.data, dtype=np.float32)
        if obs.shape != (self.obs_size,):
            self.faults.report(
                "observation_size",
                f"observation has {obs.size} values, contract expects {self.obs_size}",
            )
            return
        if not np.all(np.isfinite(obs)):
            self.faults.report("nan_observation", "non-finite observation received")
            return
        t0 = time.perf_counter()
        action = self.policy.act(obs)
        self.inference.add(time.perf_counter() - t0)
        self.inferences += 1
        if not np.all(np.isfinite(action)):
            self.faults.report("nan_action", "policy produced a non-finite action")
            return
        self.faults.clear()
        self.action_pub.publish(Float32MultiArray(data=action.tolist()))
        targets = self.contract.joint_targets(action)
        stamp = self.get_clock().now().to_msg()
        names = self.contract.joint_names
        self.target_pub.publish(
            ros_io.joint_state_msg(names, stamp, effort=targets)
            if self.torque_targets
            else ros_io.joint_state_msg(names, stamp, position=targets)
        )

    def diagnostics(self):
        values = {"inferences": float(self.inferences), **self.inference.summary("inference")}
        values.update(self.drops.summary())
        if self.inferences == 0:
            return WARN, "waiting for observations", values
        return OK, "running", values


def main(args=None) -> None:
    run_node(PolicyNode, args)


if __name__ == "__main__":
    main()
