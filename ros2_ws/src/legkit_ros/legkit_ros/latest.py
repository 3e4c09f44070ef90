"""Subscriptions that are read when needed instead of dispatched per message.

A 50 Hz observation needs the newest /joint_states and /imu/data, not a Python
callback for each of their 250 messages a second; on a two-core machine those
callbacks cost more than everything else the node does. `LatestMessage` keeps the
subscription out of the executor (a callback group that never executes) and takes
the newest sample from the middleware when its owner asks, like ros2_control's
realtime buffer. With depth 1 the middleware holds only that newest sample.
"""

from __future__ import annotations

from collections.abc import Callable

from rclpy.callback_groups import CallbackGroup
from rclpy.node import Node
from rclpy.qos import QoSProfile


class _NeverDispatched(CallbackGroup):
    """The executor skips entities whose group cannot execute."""

    def can_execute(self, entity) -> bool:
        return False

    def beginning_execution(self, entity) -> bool:
        return False

    def ending_execution(self, entity) -> None:
        pass


def take_pending(subscription):
    """The newest message already delivered to `subscription` but not yet dispatched, or None.

    Safe beside the executor: a message taken here is simply not dispatched again.
    """
    newest = None
    with subscription.handle:
        while True:
            taken = subscription.handle.take_message(subscription.msg_type, subscription.raw)
            if taken is None:
                return newest
            newest = taken[0]


class LatestMessage:
    """The newest message on a topic, taken on demand.

    `keep` (fault injection, legkit_ros.drops) is asked once per message taken; a message
    it refuses is lost, and `take` goes on returning the previous one.
    """

    def __init__(
        self,
        node: Node,
        msg_type,
        topic: str,
        qos: QoSProfile,
        keep: Callable[[], bool] | None = None,
    ) -> None:
        self._sub = node.create_subscription(
            msg_type, topic, lambda _msg: None, qos, callback_group=_NeverDispatched()
        )
        self._keep = keep
        self.latest = None

    def take(self):
        """The newest message received so far (None before the first), refreshed from DDS."""
        newest = take_pending(self._sub)
        if newest is not None and (self._keep is None or self._keep()):
            self.latest = newest
        return self.latest
