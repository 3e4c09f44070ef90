"""Fault catalogue: one module per fault, each driving real node processes over DDS.

Importing the integration conftest picks this session's DDS domain (from the pytest
process id) before rclpy starts, exactly as for the integration tests.
"""

from __future__ import annotations

import pytest
import rclpy

import tests.integration.conftest  # noqa: F401  (chooses ROS_DOMAIN_ID on import)


@pytest.fixture(scope="package", autouse=True)
def ros_context():
    """rclpy for this package; shares a context another package already started."""
    if rclpy.ok():
        yield
        return
    rclpy.init()
    yield
    rclpy.shutdown()
