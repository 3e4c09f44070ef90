"""Fixtures of the training-environment tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from legkit_train.config import EnvConfig
from legkit_train.env import QuadrupedWalkEnv
from tests.training.envs import MakeEnv


@pytest.fixture
def make_env() -> Iterator[MakeEnv]:
    """Build environments that are closed after the test."""
    envs: list[QuadrupedWalkEnv] = []

    def make(config: EnvConfig | None = None) -> QuadrupedWalkEnv:
        env = QuadrupedWalkEnv(config)
        envs.append(env)
        return env

    yield make
    for env in envs:
        env.close()
