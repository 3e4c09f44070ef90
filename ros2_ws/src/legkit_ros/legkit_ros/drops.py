"""Test-only fault injection: a node drops a fraction of the messages it receives.

Message loss is injected at the subscriber, after DDS delivered the message and before
the node's callback sees it, so it tests the node's own tolerance and nothing else.
It applies to the best-effort control streams the controller, observation and policy
nodes read (/joint_states, /imu/data, /joint_targets, /policy/observation,
/policy/action); reliable topics (e-stop, faults, /cmd_vel, services) are retransmitted
by DDS and never lose a message to a subscriber.

Two parameters, declared by every node that uses it::

    drop_fraction   0.0 (off) .. < 1.0: the share of messages dropped on each topic
    drop_seed       seeds the pattern

Losses are spread evenly and never come in a row while `drop_fraction` <= 0.5 (one
message in five at 0.2), with a seeded phase per node and topic: the watchdogs
(three nominal periods) are built to ride through isolated losses. A burst long
enough to trip a watchdog is a stale input, a fault of its own. Note that two dropping
hops in series (observations at the policy, then targets at the controller) can lose
two targets in a row, which leaves the newest target exactly at the watchdog's limit.

The node logs one warning when injection is on, and reports received and dropped counts
per topic in its /diagnostics values.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

from rclpy.node import Node


class _Pattern:
    """Drops message n when floor((n + 1) f + phase) > floor(n f + phase): exactly the
    fraction f, evenly spread."""

    def __init__(self, fraction: float, phase: float) -> None:
        self.fraction = fraction
        self.phase = phase
        self.received = 0
        self.dropped = 0

    def keep(self) -> bool:
        n = self.received
        self.received += 1
        f, p = self.fraction, self.phase
        if math.floor((n + 1) * f + p) > math.floor(n * f + p):
            self.dropped += 1
            return False
        return True


class MessageDrops:
    """A node's drop injection; `wrap` and `keep` are no-ops while `drop_fraction` is 0."""

    def __init__(self, node: Node) -> None:
        self._node = node
        self.fraction = float(node.declare_parameter("drop_fraction", 0.0).value)
        self.seed = int(node.declare_parameter("drop_seed", 0).value)
        if not 0.0 <= self.fraction < 1.0:
            raise ValueError(f"drop_fraction must be in [0, 1), got {self.fraction}")
        self._patterns: dict[str, _Pattern] = {}
        if self.enabled:
            node.get_logger().warning(
                f"fault injection on: dropping {self.fraction:.0%} of the messages received "
                f"on each control topic (drop_seed {self.seed})"
            )

    @property
    def enabled(self) -> bool:
        return self.fraction > 0.0

    def keeper(self, topic: str) -> Callable[[], bool]:
        """A function called once per message received on `topic`: False = drop it."""
        if not self.enabled:
            return lambda: True
        phase = random.Random(f"{self.seed}:{self._node.get_name()}:{topic}").random()
        pattern = self._patterns[topic] = _Pattern(self.fraction, phase)
        return pattern.keep

    def wrap(self, topic: str, callback: Callable[[Any], None]) -> Callable[[Any], None]:
        """`callback`, called only for the messages on `topic` that are not dropped."""
        if not self.enabled:
            return callback
        keep = self.keeper(topic)

        def filtered(msg: Any) -> None:
            if keep():
                callback(msg)

        return filtered

    def summary(self) -> dict[str, float]:
        """Diagnostic values: received and dropped counts per topic (empty when off)."""
        values: dict[str, float] = {}
        for topic, pattern in self._patterns.items():
            values[f"{topic} received"] = float(pattern.received)
            values[f"{topic} dropped"] = float(pattern.dropped)
        return values
