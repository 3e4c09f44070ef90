"""Configurations the training-environment tests build environments from."""

from __future__ import annotations

from collections.abc import Callable

from legkit_train.config import EnvConfig, Randomization, RandomTerm
from legkit_train.env import QuadrupedWalkEnv

MakeEnv = Callable[..., QuadrupedWalkEnv]
"""The `make_env` fixture: EnvConfig | None -> an environment closed after the test."""


def nominal_config(**randomization: RandomTerm) -> EnvConfig:
    """No randomization except the given terms: the robot exactly as the profile says."""
    rand = Randomization.none()
    for name, term in randomization.items():
        setattr(rand, name, term)
    return EnvConfig(randomization=rand)
