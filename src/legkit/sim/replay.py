"""Render a recorded run as an animated GIF, without the live simulation.

After a run, the logged base poses and joint angles are replayed kinematically in a
fresh, private pybullet world (no physics is stepped) and each pose is rendered with
the same camera as `PybulletWorld.render_rgb`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from legkit.robots.profile import RobotProfile
from legkit.sim.world import PybulletWorld

PoseSample = tuple[Sequence[float], Sequence[float], Sequence[float]]
"""(base_position [m] world, base_orientation (x, y, z, w), joint_positions [rad] in
profile order)."""


def render_replay(
    profile: RobotProfile,
    samples: Sequence[PoseSample],
    path: str | Path,
    fps: float = 10,
    width: int = 320,
    height: int = 240,
) -> Path:
    """Write an endlessly looping GIF with one frame per sample; returns its path.

    `fps` [frames/s] sets the frame duration (GIF stores it in 10 ms units). Pillow
    merges consecutive identical frames into one longer frame, so a GIF of a robot
    standing still can hold fewer frames than `samples`; the play time is unchanged.
    """
    if len(samples) == 0:
        raise ValueError("render_replay needs at least one pose sample")
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)

    frames: list[Image.Image] = []
    with PybulletWorld(profile) as world:
        for base_position, base_orientation, joint_positions in samples:
            world.set_kinematic_pose(
                np.asarray(base_position, dtype=float),
                np.asarray(base_orientation, dtype=float),
                np.asarray(joint_positions, dtype=float),
            )
            frames.append(Image.fromarray(world.render_rgb(width, height)))

    frames[0].save(
        path,
        format="GIF",
        save_all=True,
        append_images=frames[1:],
        duration=max(1, round(1000.0 / fps)),
        loop=0,  # 0 = repeat forever
    )
    return path
