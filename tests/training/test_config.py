"""EnvConfig: typed defaults, construction from plain data that refuses unknown keys, and
the committed config files."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from legkit_train.config import EnvConfig, Randomization
from legkit_train.exo_config import ExoEnvConfig
from legkit_train.exo_train import load_env_config as load_exo_env_config
from legkit_train.export import load_checkpoint
from legkit_train.train import load_env_config, settings_changed


def test_from_dict_of_the_defaults_gives_the_defaults() -> None:
    assert EnvConfig.from_dict(dataclasses.asdict(EnvConfig())) == EnvConfig()


def test_from_dict_fills_nested_sections_and_keeps_other_defaults() -> None:
    config = EnvConfig.from_dict(
        {
            "episode_length_s": 10.0,
            "commands": {"vx": [-2.0, 2.0]},
            "randomization": {"ground_friction": {"enabled": False}},
        }
    )
    assert config.episode_length_s == 10.0
    assert config.commands.vx == (-2.0, 2.0)
    assert config.commands.vy == EnvConfig().commands.vy
    assert not config.randomization.ground_friction.enabled
    assert config.randomization.ground_friction.low == 0.5


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"episode_lenght_s": 10.0}, "episode_lenght_s"),
        ({"rewards": {"foot_slip": -1.0}}, "rewards.foot_slip"),
        (
            {"randomization": {"ground_friction": {"hihg": 2.0}}},
            "randomization.ground_friction.hihg",
        ),
    ],
)
def test_from_dict_rejects_an_unknown_key_naming_its_path(data: dict, path: str) -> None:
    with pytest.raises(ValueError, match=f"unknown config key '{path}'"):
        EnvConfig.from_dict(data)


@pytest.mark.parametrize(
    "data",
    [
        {"episode_length_s": 0.0},
        {"commands": {"vx": [1.0, -1.0]}},
        {"curriculum": {"initial_level": 0.0}},
        {"randomization": {"pushes": {"interval_s": 0.0}}},
        {"randomization": {"pushes": {"enabled": "no"}}},
        {"termination_tilt": True},
        {"tracking_sigma": 0.0},
        {"commands": {"vy": "wide"}},
    ],
)
def test_invalid_values_are_rejected_at_construction(data: dict) -> None:
    with pytest.raises(ValueError):
        EnvConfig.from_dict(data)


def test_randomization_none_disables_every_term() -> None:
    off = Randomization.none()
    assert not any(getattr(off, f.name).enabled for f in dataclasses.fields(off))


CONFIGS = Path(__file__).resolve().parents[2] / "training" / "configs"


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("quadruped_walk*.yaml")), ids=lambda p: p.name)
def test_every_committed_walking_config_loads(path: Path) -> None:
    # A config the model card points to must still parse against today's EnvConfig.
    assert isinstance(load_env_config(path), EnvConfig)


def test_the_exoskeleton_config_loads() -> None:
    assert isinstance(load_exo_env_config(CONFIGS / "exo_walk.yaml"), ExoEnvConfig)


def test_the_shipped_walking_checkpoint_resumes_under_its_documented_config_unchanged() -> None:
    # The model card's resume command passes quadruped_walk_grip.yaml; a resume prints
    # each setting that differs, and there should be none.
    state = load_checkpoint(CONFIGS.parent / "checkpoints" / "quadruped_walk.pt")
    documented = dataclasses.asdict(load_env_config(CONFIGS / "quadruped_walk_grip.yaml"))
    assert settings_changed(state["env_config"], documented) == []
