"""A non-finite observation or action, found in another process, puts the controller in DAMPING."""

from __future__ import annotations

import numpy as np
import pytest
from sensor_msgs.msg import Imu
from std_msgs.msg import Float32MultiArray

from legkit.policy import contract_for_profile
from legkit.robots import QUADRUPED
from legkit_ros import topics
from tests.integration.fake_robot import FakeRobot
from tests.integration.harness import wait_until
from tests.onnx_factory import write_model_for

pytestmark = pytest.mark.integration


@pytest.fixture
def robot():
    fake = FakeRobot(100.0).start()
    yield fake
    fake.close()


def test_nan_observation_puts_the_controller_in_damping(robot, launch):
    controller = launch("controller", use_sim_time=True, state_rate_hz=100.0)
    observation = launch("observation", use_sim_time=True, policy="quadruped_stand.onnx")
    robot.targets = QUADRUPED.default_positions.copy()
    imu = Imu()
    imu.orientation.w = 1.0
    imu.angular_velocity.x = float("nan")  # a broken gyro
    pub = robot.create_publisher(Imu, topics.IMU, topics.CONTROL_QOS)
    robot.create_timer(0.01, lambda: pub.publish(imu))
    wait_until(lambda: robot.mode == "DAMPING", 20.0, "DAMPING after NaN observation")
    assert "base_ang_vel" in observation.log_lines("non-finite observation")[0]
    (line,) = controller.log_lines("-> DAMPING")
    assert "/observation" in line and "non-finite observation" in line


def test_nan_action_puts_the_controller_in_damping(robot, launch, tmp_path):
    contract = contract_for_profile(QUADRUPED)
    weight = np.zeros((contract.observation_size, contract.action_size), dtype=np.float32)
    weight[0, 3] = np.nan  # any observation gives a NaN action for joint 3
    path = write_model_for(tmp_path / "nan.onnx", contract, weight=weight)
    controller = launch("controller", use_sim_time=True, state_rate_hz=100.0)
    policy = launch("policy", use_sim_time=True, policy=str(path))
    robot.targets = QUADRUPED.default_positions.copy()
    wait_until(lambda: robot.mode == "ACTIVE", 20.0, "ACTIVE")
    pub = robot.create_publisher(Float32MultiArray, topics.OBSERVATION, topics.CONTROL_QOS)
    wait_until(lambda: pub.get_subscription_count() > 0, 10.0, "policy node subscribed")
    obs = Float32MultiArray(data=[0.1] * contract.observation_size)
    robot.create_timer(0.02, lambda: pub.publish(obs))
    wait_until(lambda: robot.mode == "DAMPING", 10.0, "DAMPING after NaN action")
    assert policy.log_lines("non-finite action")
    (line,) = controller.log_lines("-> DAMPING")
    assert "non-finite action" in line
