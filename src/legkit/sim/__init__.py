"""pybullet worlds: a torque-controlled robot on flat ground, and GIF replay of a run."""

from legkit.sim.replay import render_replay
from legkit.sim.world import POSES, ImuReading, PybulletWorld, RobotState, SimConfig

__all__ = ["POSES", "ImuReading", "PybulletWorld", "RobotState", "SimConfig", "render_replay"]
