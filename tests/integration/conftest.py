"""Integration tests run real node processes; every test session gets its own DDS domain.

The domain id is derived from the pytest process id so parallel runs on one machine
do not see each other, and discovery stays on localhost.
"""

from __future__ import annotations

import os

import pytest

os.environ["ROS_DOMAIN_ID"] = str(1 + os.getpid() % 100)
os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")

import rclpy  # noqa: E402  (after the domain is chosen)

from legkit_ros.processes import NodeProcess  # noqa: E402
from tests.integration.harness import node_process  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def ros_context():
    rclpy.init()
    yield
    rclpy.shutdown()


@pytest.fixture
def launch(tmp_path):
    """Start node processes for one test; all are stopped (Ctrl-C) when it ends."""
    started: list[NodeProcess] = []

    def _launch(name: str, **params) -> NodeProcess:
        node = node_process(name, tmp_path, params)
        started.append(node)
        return node

    yield _launch
    for node in started:
        node.stop()
