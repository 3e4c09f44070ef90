"""legkit core: the ROS-agnostic half of the stack.

Training (torch) and deployment (rclpy nodes) both import this package, so a robot
constant, a PD law or an observation is defined exactly once. It never imports rclpy
or torch.

Subpackages:
    robots   robot profiles: joints, limits, default pose, PD gains, URDF path
    sim      pybullet worlds
    control  PID joint controller and safety supervisor
    policy   policy contract, observation builder, ONNX runner
    hardware MIT-protocol CAN motors, their emulator, the hardware bridge's logic
"""

import os
from pathlib import Path

__version__ = "0.1.0"

#: Repository root (URDFs and models live there). A checkout finds it from this file;
#: an installed copy (e.g. in a Docker image) is pointed at it with LEGKIT_ROOT.
REPO_ROOT = Path(os.environ.get("LEGKIT_ROOT") or Path(__file__).resolve().parents[2])
