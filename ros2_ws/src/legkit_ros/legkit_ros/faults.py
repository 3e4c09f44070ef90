"""Reporting a fault that must put the robot in DAMPING, from any node."""

from __future__ import annotations

from diagnostic_msgs.msg import DiagnosticStatus
from rclpy.node import Node

from legkit_ros import topics


class FaultReporter:
    """Publishes ERROR statuses on /safety/faults; the controller answers with DAMPING.

    A fault is published on every cycle it persists (a controller that joins late
    still hears it) but logged once per incident.
    """

    def __init__(self, node: Node) -> None:
        self._node = node
        self._pub = node.create_publisher(DiagnosticStatus, topics.SAFETY_FAULTS, topics.EVENT_QOS)
        self._active: str | None = None

    def report(self, kind: str, message: str) -> None:
        if self._active != kind:
            self._active = kind
            self._node.get_logger().error(f"{message}; requesting DAMPING")
        status = DiagnosticStatus(name=self._node.get_fully_qualified_name(), message=message)
        status.level = DiagnosticStatus.ERROR
        self._pub.publish(status)

    def clear(self) -> None:
        self._active = None
