"""legkit-train: offline training of legkit locomotion policies.

Importing the package registers the gymnasium id ``legkit/QuadrupedWalk-v0``.
"""

from gymnasium.envs.registration import register, registry

from legkit_train.config import EnvConfig
from legkit_train.env import QuadrupedWalkEnv

ENV_ID = "legkit/QuadrupedWalk-v0"
"""Gymnasium id of `QuadrupedWalkEnv`; keyword arguments of `gymnasium.make` go to it."""

# Truncation is the environment's own (EnvConfig.episode_length_s), so no TimeLimit here.
if ENV_ID not in registry:
    register(id=ENV_ID, entry_point="legkit_train.env:QuadrupedWalkEnv")

__all__ = ["ENV_ID", "EnvConfig", "QuadrupedWalkEnv"]
