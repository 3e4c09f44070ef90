"""PPO training: the parallel vectorized env, learning, resuming and checkpoint safety."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from legkit_train.config import EnvConfig, RewardWeights
from legkit_train.train import (
    CheckpointMismatch,
    ModelConfig,
    PpoConfig,
    TrainConfig,
    Trainer,
    checkpoint_env_steps,
    main,
    settings_changed,
)
from legkit_train.vec_env import OBS_GROUP, LegkitVecEnv
from tests.training.envs import nominal_config

OBS, ACT = 45, 12


def short_episodes(steps: int) -> EnvConfig:
    """Nominal robot whose episodes are truncated after `steps` policy steps (50 Hz)."""
    return dataclasses.replace(nominal_config(), episode_length_s=steps / 50)


def test_vec_env_steps_envs_split_over_two_workers_and_returns_batched_tensors() -> None:
    env = LegkitVecEnv(num_envs=3, num_workers=2, config=nominal_config(), seed=1)
    try:
        assert env.pool.num_workers == 2
        assert (env.num_envs, env.num_actions) == (3, ACT)
        assert env.get_observations()[OBS_GROUP].shape == (3, OBS)
        obs, rewards, dones, extras = env.step(torch.zeros(3, ACT))
        assert obs[OBS_GROUP].shape == (3, OBS) and obs[OBS_GROUP].dtype == torch.float32
        assert rewards.shape == dones.shape == extras["time_outs"].shape == (3,)
        assert not dones.any()
        assert "/curriculum/level" in extras["log"]
    finally:
        env.close()


def test_vec_env_resets_finished_episodes_and_flags_time_limits() -> None:
    env = LegkitVecEnv(num_envs=2, num_workers=2, config=short_episodes(3), seed=1)
    try:
        action = torch.full((2, ACT), 0.1)
        for _ in range(2):
            obs, _, dones, _ = env.step(action)
            assert not dones.any()
            # The last 12 entries of the default layout are the previous action.
            torch.testing.assert_close(obs[OBS_GROUP][:, -ACT:], action)
        assert env.episode_length_buf.tolist() == [2, 2]
        obs, _, dones, extras = env.step(action)
        assert dones.tolist() == [1.0, 1.0]
        assert extras["time_outs"].tolist() == [1.0, 1.0]  # cut by time, not failed
        # The observation handed back already starts the next episode.
        assert torch.all(obs[OBS_GROUP][:, -ACT:] == 0.0)
        assert env.episode_length_buf.tolist() == [0, 0]
    finally:
        env.close()


def calm_actions_task() -> EnvConfig:
    """A task PPO visibly improves on in seconds: only jerky actions are penalized.

    Walking takes hours to learn; this keeps the whole PPO path (rollout, GAE, clipped
    update, normalization) but makes the learning signal immediate.
    """
    weights = {f.name: 0.0 for f in dataclasses.fields(RewardWeights)}
    weights["action_rate"] = -1.0
    return dataclasses.replace(
        nominal_config(), rewards=RewardWeights(**weights), only_positive_rewards=False
    )


def first_episode_return(trainer: Trainer, config: EnvConfig, steps: int = 100) -> float:
    """Mean return of the stochastic policy over each env's first episode (up to `steps`),
    on fixed environment seeds and a fixed action-noise seed."""
    env = LegkitVecEnv(num_envs=8, num_workers=2, config=config, seed=1000)
    policy = trainer.alg.get_policy()
    total, alive = torch.zeros(8), torch.ones(8)
    torch.manual_seed(5)
    try:
        obs = env.get_observations()
        with torch.inference_mode():
            for _ in range(steps):
                obs, rewards, dones, _ = env.step(policy(obs, stochastic_output=True))
                total += alive * rewards
                alive *= 1.0 - dones
    finally:
        env.close()
    return float(total.mean())


def test_ppo_training_raises_the_return_over_the_untrained_policy() -> None:
    task = calm_actions_task()
    config = TrainConfig(
        num_envs=8,
        seed=1,
        model=ModelConfig(actor_hidden_dims=(32, 32), critic_hidden_dims=(32, 32)),
        # Fixed rate, no entropy bonus: a short, reproducible run with a clear signal.
        ppo=PpoConfig(learning_rate=3e-3, schedule="fixed", entropy_coef=0.0),
    )
    with Trainer(config, run_dir=None, env_config=task, verbose=False) as trainer:
        before = first_episode_return(trainer, task)
        trainer.learn(20)
        after = first_episode_return(trainer, task)
    assert trainer.iteration == 20
    # Returns are negative (a pure penalty); demand a clear, not a marginal, gain.
    assert after > before + 0.1 * abs(before), (before, after)


def cli(run_dir: Path, iterations: int, *extra: str) -> None:
    main(["--num-envs", "2", "--iterations", str(iterations), "--run-dir", str(run_dir), *extra])


def test_resuming_continues_the_iteration_count_and_writes_logs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli(tmp_path / "a", 2, "--save-interval", "1")
    assert {p.name for p in (tmp_path / "a").glob("model_*.pt")} == {"model_1.pt", "model_2.pt"}
    assert list((tmp_path / "a").glob("events.out.tfevents.*"))  # TensorBoard log
    out = capsys.readouterr().out
    assert "steps/s" in out and "ETA" in out  # the progress line

    cli(tmp_path / "b", 1, "--resume", str(tmp_path / "a" / "model_2.pt"))
    assert "resumed from" in capsys.readouterr().out
    checkpoint = torch.load(tmp_path / "b" / "model_3.pt", weights_only=False)
    assert checkpoint["iteration"] == 3
    assert checkpoint["robot"] == "quadruped" and checkpoint["observation_size"] == OBS


def test_a_checkpoint_counts_the_env_steps_of_every_stage_whatever_its_batch(
    tmp_path: Path,
) -> None:
    cli(tmp_path / "a", 2)  # 2 envs x 24 steps per iteration
    cli(tmp_path / "b", 1, "--num-envs", "4", "--resume", str(tmp_path / "a" / "model_2.pt"))
    checkpoint = torch.load(tmp_path / "b" / "model_3.pt", weights_only=False)
    assert checkpoint_env_steps(checkpoint) == 2 * 2 * 24 + 1 * 4 * 24

    del checkpoint["env_steps"]  # written before stages could change the batch
    assert checkpoint_env_steps(checkpoint) == 3 * 4 * 24


@pytest.mark.parametrize(
    ("field", "value"), [("robot", "hexapod"), ("observation_size", 48), ("action_size", 18)]
)
def test_resuming_a_checkpoint_of_another_robot_or_size_fails_before_training(
    tmp_path: Path, field: str, value: object
) -> None:
    config = TrainConfig(num_envs=1, num_workers=1)
    with Trainer(config, run_dir=None, env_config=nominal_config(), verbose=False) as trainer:
        path = tmp_path / "model.pt"
        trainer.save(path)
        state = torch.load(path, weights_only=False)
        state[field] = value
        torch.save(state, path)
        with pytest.raises(CheckpointMismatch, match=f"{field}: checkpoint has .*{value}"):
            trainer.load(path)
        assert trainer.iteration == 0


def test_an_env_config_file_with_an_unknown_key_fails_before_training(tmp_path: Path) -> None:
    config = tmp_path / "env.yaml"
    config.write_text("rewards:\n  feet_air_time: 2.0\n  foot_slip: -0.5\n")
    with pytest.raises(ValueError, match=r"env.yaml: unknown config key 'rewards.foot_slip'"):
        cli(tmp_path / "run", 1, "--env-config", str(config))
    assert not (tmp_path / "run").exists()


def test_an_env_config_file_changes_what_is_trained_and_is_recorded(tmp_path: Path) -> None:
    config = tmp_path / "env.yaml"
    config.write_text("episode_length_s: 4.0\nrewards:\n  feet_air_time: 2.0\n")
    cli(tmp_path / "run", 1, "--env-config", str(config))
    checkpoint = torch.load(tmp_path / "run" / "model_1.pt", weights_only=False)
    assert checkpoint["env_config"]["episode_length_s"] == 4.0
    assert checkpoint["env_config"]["rewards"]["feet_air_time"] == 2.0


def test_resuming_with_other_env_settings_names_each_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli(tmp_path / "a", 1)
    config = tmp_path / "env.yaml"
    config.write_text("tracking_sigma: 0.1\nrewards:\n  feet_air_time: 2.0\n")
    capsys.readouterr()
    cli(
        tmp_path / "b",
        1,
        "--resume",
        str(tmp_path / "a" / "model_1.pt"),
        "--env-config",
        str(config),
    )
    out = capsys.readouterr().out
    assert "environment settings changed since that checkpoint:" in out
    assert "tracking_sigma: 0.25 -> 0.1" in out
    assert "rewards.feet_air_time: 1.0 -> 2.0" in out
    assert "commands" not in out  # unchanged settings are not listed

    cli(
        tmp_path / "c",
        1,
        "--resume",
        str(tmp_path / "b" / "model_2.pt"),
        "--env-config",
        str(config),
    )
    assert "changed since" not in capsys.readouterr().out


def test_settings_newer_than_the_checkpoint_are_reported_as_not_recorded() -> None:
    before = {"episode_length_s": 20.0, "commands": {"vx": [-1.0, 1.0]}}
    after = {"episode_length_s": 20.0, "commands": {"vx": (-1.0, 1.0)}, "history_length": 1}
    assert settings_changed(before, after) == ["history_length: (not recorded) -> 1"]


def test_resuming_restores_each_environments_curriculum_level(tmp_path: Path) -> None:
    config = TrainConfig(num_envs=2, num_workers=1)
    with Trainer(config, run_dir=None, env_config=nominal_config(), verbose=False) as trainer:
        trainer.learn(1)
        trainer.env.curriculum_levels = np.array([0.55, 0.8], dtype=np.float32)
        trainer.save(tmp_path / "model.pt")
    with Trainer(config, run_dir=None, env_config=nominal_config(), verbose=False) as resumed:
        resumed.load(tmp_path / "model.pt")
        _, _, _, extras = resumed.env.step(torch.zeros(2, ACT))
        np.testing.assert_allclose(resumed.env.curriculum_levels, [0.55, 0.8])
    assert extras["log"]["/curriculum/level"] == pytest.approx(0.675)
