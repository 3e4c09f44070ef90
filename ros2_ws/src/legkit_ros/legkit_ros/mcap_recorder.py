"""Recorder: the graph's main topics into one MCAP file (ros2 bag / Foxglove readable).

Subscriptions are raw: the CDR bytes from DDS go to the file untouched, stamped with
their arrival time (system clock, as `ros2 bag record` does). The file is closed, with
its index, when the node stops (Ctrl-C). `legkit-report FILE.mcap` plots it.

Parameters: `path` (empty: legkit_<date>-<time>.mcap in the working directory),
`topics` (default: every topic in RECORDED), and `robot`, `policy`, stored in the
file's "legkit" metadata.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from geometry_msgs.msg import Twist
from nav_msgs.msg import Odometry
from rclpy.node import Node
from rclpy.qos import QoSProfile
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import Imu, JointState, Joy
from std_msgs.msg import Bool, Float32MultiArray, String

from legkit_ros import topics
from legkit_ros.mcap_file import McapBagWriter
from legkit_ros.ros_io import OK, DiagnosticsPublisher
from legkit_ros.spin import StartupError, run_node

# Deep enough that a busy recorder loses nothing between two spins; the controller
# state is latched, so a late recorder still gets the current mode.
_STREAM = topics.RECORD_QOS
_EVENTS = QoSProfile(depth=50, reliability=topics.EVENT_QOS.reliability)
_LATCHED = QoSProfile(
    depth=10,
    reliability=topics.LATCHED_QOS.reliability,
    durability=topics.LATCHED_QOS.durability,
)

RECORDED: dict[str, tuple[type, QoSProfile]] = {
    topics.JOINT_STATES: (JointState, _STREAM),
    topics.IMU: (Imu, _STREAM),
    topics.ODOM: (Odometry, _STREAM),
    topics.CLOCK: (Clock, _STREAM),
    topics.OBSERVATION: (Float32MultiArray, _STREAM),
    topics.ACTION: (Float32MultiArray, _STREAM),
    topics.JOINT_TARGETS: (JointState, _STREAM),
    topics.EFFORT_COMMANDS: (JointState, _STREAM),
    topics.CMD_VEL: (Twist, _EVENTS),
    topics.JOY: (Joy, _EVENTS),
    topics.ESTOP: (Bool, _EVENTS),
    topics.SAFETY_FAULTS: (DiagnosticStatus, _EVENTS),
    topics.DIAGNOSTICS: (DiagnosticArray, _EVENTS),
    topics.CONTROLLER_STATE: (String, _LATCHED),
}
"""Topic -> (message type, subscription QoS)."""


class McapRecorder(Node):
    NODE_NAME = "mcap_recorder"

    def __init__(self, path: Path | None = None, metadata: dict | None = None, **kwargs) -> None:
        super().__init__(self.NODE_NAME, **kwargs)
        path_param = self.declare_parameter("path", "").value
        selected = list(self.declare_parameter("topics", list(RECORDED)).value)
        facts = {
            "robot": self.declare_parameter("robot", "quadruped").value,
            "policy": self.declare_parameter("policy", "").value,
            "started": datetime.now().isoformat(timespec="seconds"),
            **(metadata or {}),
        }
        unknown = [t for t in selected if t not in RECORDED]
        if unknown:
            raise StartupError(f"cannot record {unknown}: recordable topics are {list(RECORDED)}")
        path = Path(path or path_param or datetime.now().strftime("legkit_%Y%m%d-%H%M%S.mcap"))
        try:
            self.writer = McapBagWriter(path, facts)
        except OSError as err:
            raise StartupError(f"cannot write the recording {path}: {err}") from err
        for topic in selected:
            msg_type, qos = RECORDED[topic]
            channel = self.writer.add_topic(topic, msg_type)
            self.create_subscription(
                msg_type, topic, lambda data, c=channel: self.write(c, data), qos, raw=True
            )
        self.diagnostics_pub = DiagnosticsPublisher(self, self.diagnostics)
        self.get_logger().info(f"recording {len(selected)} topics to {path}")

    def write(self, channel: int, data: bytes) -> None:
        self.writer.write(channel, data, time.time_ns())

    def diagnostics(self):
        counts = {topic: float(n) for topic, n in self.writer.counts.items()}
        return OK, f"recording to {self.writer.path}", counts

    def destroy_node(self) -> None:
        self.writer.close()
        counts = self.writer.counts
        line = f"recorded {sum(counts.values())} messages on {len(counts)} topics to "
        line += str(self.writer.path)
        if self.context.ok():
            self.get_logger().info(line)
        else:  # after Ctrl-C the context is gone, and with it /rosout
            print(f"[{self.NODE_NAME}] {line}", flush=True)
        super().destroy_node()


def main(args=None) -> None:
    run_node(McapRecorder, args)


if __name__ == "__main__":
    main()
