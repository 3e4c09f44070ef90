"""Conversions between ROS messages and the core's numpy arrays, plus /diagnostics."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from builtin_interfaces.msg import Time
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.node import Node
from sensor_msgs.msg import JointState

from legkit.control import JointCommand
from legkit.robots.joint_map import JointMap, JointNameError
from legkit_ros import topics


def stamp_to_sec(stamp: Time) -> float:
    return stamp.sec + stamp.nanosec * 1e-9


def stamp_key(stamp: Time) -> int:
    """An exact integer key for a stamp (nanoseconds), for matching a message to its source."""
    return stamp.sec * 1_000_000_000 + stamp.nanosec


def joint_state_msg(
    names: Sequence[str],
    stamp: Time,
    position: np.ndarray | None = None,
    velocity: np.ndarray | None = None,
    effort: np.ndarray | None = None,
) -> JointState:
    msg = JointState()
    msg.header.stamp = stamp
    msg.name = list(names)
    if position is not None:
        msg.position = position.tolist()
    if velocity is not None:
        msg.velocity = velocity.tolist()
    if effort is not None:
        msg.effort = effort.tolist()
    return msg


def joint_command(joint_map: JointMap, msg: JointState) -> JointCommand:
    """A named joint command (JointState on /joint_effort_commands) in profile order.

    Each of position, velocity and effort is either empty or one value per name; which
    are filled selects the law (see legkit.control.JointCommand). An effort-only message
    is a plain torque command. Raises JointNameError on unknown, missing or duplicate
    names, a field of the wrong length, or a message with nothing in it.
    """
    fields = {}
    for field in ("position", "velocity", "effort"):
        values = getattr(msg, field)
        if len(values):
            fields[field] = joint_map.to_profile_order(msg.name, values)
    if not fields:
        raise JointNameError("no position, velocity or effort in the command")
    return JointCommand(**fields)


class DiagnosticsPublisher:
    """Publishes one DiagnosticStatus for a node on /diagnostics at a fixed wall rate.

    `collect` returns (level, message, key-values); it runs at publish time, so the
    figures are always current.
    """

    def __init__(
        self,
        node: Node,
        collect: Callable[[], tuple[int, str, dict[str, float | str]]],
        period: float = 1.0,
    ) -> None:
        self._node = node
        self._collect = collect
        self._pub = node.create_publisher(DiagnosticArray, topics.DIAGNOSTICS, 10)
        # Wall clock: diagnostics must keep flowing even if the sim clock stops.
        from rclpy.clock import Clock, ClockType

        node.create_timer(period, self.publish, clock=Clock(clock_type=ClockType.STEADY_TIME))

    def publish(self) -> None:
        level, message, values = self._collect()
        status = DiagnosticStatus()
        status.level = bytes([level])
        status.name = self._node.get_fully_qualified_name()
        status.message = message
        status.hardware_id = "legkit"
        status.values = [KeyValue(key=k, value=_fmt(v)) for k, v in values.items()]
        array = DiagnosticArray()
        array.header.stamp = self._node.get_clock().now().to_msg()
        array.status = [status]
        self._pub.publish(array)


def _fmt(value: float | str) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def diagnostic_values(status: DiagnosticStatus) -> dict[str, float | str]:
    """KeyValues of a status as numbers where they parse, strings otherwise."""
    out: dict[str, float | str] = {}
    for kv in status.values:
        try:
            out[kv.key] = float(kv.value)
        except ValueError:
            out[kv.key] = kv.value
    return out


OK = 0
WARN = 1
ERROR = 2
