"""legkit-train: offline training of legkit locomotion policies.

Importing the package registers the gymnasium ids ``legkit/QuadrupedWalk-v0``,
``legkit/ExoWalk-v0`` and ``legkit/ExoSquat-v0`` (hip-exoskeleton assistance of a
simulated wearer walking or squatting, `legkit_train.exo_env`).
"""

from gymnasium.envs.registration import register, registry

from legkit_train.config import EnvConfig
from legkit_train.env import QuadrupedWalkEnv

ENV_ID = "legkit/QuadrupedWalk-v0"
"""Gymnasium id of `QuadrupedWalkEnv`; keyword arguments of `gymnasium.make` go to it."""

EXO_ENV_IDS = {"walk": "legkit/ExoWalk-v0", "squat": "legkit/ExoSquat-v0"}
"""Gymnasium ids of `legkit_train.exo_env.ExoAssistEnv` per task; keyword arguments of
`gymnasium.make` (``config``, ``render_mode``) go to it, the id sets the task."""

# Truncation is the environment's own (EnvConfig.episode_length_s), so no TimeLimit here.
if ENV_ID not in registry:
    register(id=ENV_ID, entry_point="legkit_train.env:QuadrupedWalkEnv")
for _task, _id in EXO_ENV_IDS.items():
    if _id not in registry:
        register(id=_id, entry_point="legkit_train.exo_env:ExoAssistEnv", kwargs={"task": _task})

__all__ = ["ENV_ID", "EXO_ENV_IDS", "EnvConfig", "QuadrupedWalkEnv"]
