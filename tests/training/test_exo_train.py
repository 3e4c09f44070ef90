"""PPO on the assistance task: the worker-process vectorized env and a short run that learns."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from legkit_train.config import EnvConfig
from legkit_train.env_pool import EnvPool
from legkit_train.exo_config import ExoEnvConfig, ExoRandomization
from legkit_train.exo_train import main
from legkit_train.train import ModelConfig, PpoConfig, TrainConfig, Trainer
from legkit_train.vec_env import OBS_GROUP, PRIVILEGED_GROUP, LegkitVecEnv

NOMINAL = ExoEnvConfig(randomization=ExoRandomization.none())


def test_vec_env_batches_observations_and_resets_finished_episodes() -> None:
    config = ExoEnvConfig(episode_length_s=0.03)  # three policy steps
    env = LegkitVecEnv(2, 2, config, "exoskeleton", seed=1)
    try:
        obs = env.get_observations()
        assert obs[OBS_GROUP].shape == (2, 18) and obs[PRIVILEGED_GROUP].shape[0] == 2
        action = torch.full((2, 2), 0.3)
        for _ in range(2):
            obs, rewards, dones, extras = env.step(action)
            assert not dones.any() and rewards.shape == (2,)
            torch.testing.assert_close(obs[OBS_GROUP][:, -2:], action)  # last action, newest
        obs, _, dones, extras = env.step(action)
        assert dones.tolist() == [1.0, 1.0] and extras["time_outs"].tolist() == [1.0, 1.0]
        assert torch.all(obs[OBS_GROUP][:, -2:] == 0.0)  # the next episode has begun
        assert "/reward_terms/hip_effort" in extras["log"]
    finally:
        env.close()


def mean_return(trainer: Trainer, steps: int = 100) -> float:
    """Mean return of the stochastic policy over 8 fixed episode starts (first `steps`)."""
    env = LegkitVecEnv(8, 2, NOMINAL, "exoskeleton", seed=1000)
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


def test_a_short_ppo_run_raises_the_return() -> None:
    # The real reward; in 20 iterations the policy mostly learns to stop thrashing the
    # device (smooth, small torque), which is the first thing the reward asks for.
    config = TrainConfig(
        num_envs=8,
        seed=1,
        robot="exoskeleton",
        model=ModelConfig(actor_hidden_dims=(32, 32), critic_hidden_dims=(32, 32)),
        ppo=PpoConfig(learning_rate=3e-3, schedule="fixed", entropy_coef=0.0),
    )
    with Trainer(config, run_dir=None, env_config=NOMINAL, verbose=False) as trainer:
        before = mean_return(trainer)
        trainer.learn(20)
        after = mean_return(trainer)
    assert trainer.iteration == 20
    assert after > before + 0.5 * abs(before), (before, after)


def test_the_training_command_writes_checkpoints_for_the_exoskeleton(tmp_path) -> None:
    main(
        [
            "--task",
            "squat",
            "--num-envs",
            "2",
            "--num-workers",
            "1",
            "--iterations",
            "1",
            "--run-dir",
            str(tmp_path),
        ]
    )
    checkpoint = torch.load(tmp_path / "model_1.pt", weights_only=False)
    assert checkpoint["robot"] == "exoskeleton"
    assert (checkpoint["observation_size"], checkpoint["action_size"]) == (18, 2)
    assert checkpoint["env_config"]["task"] == "squat"


def test_the_worker_pool_steps_assistance_environments_in_processes() -> None:
    with EnvPool(2, 2, ExoEnvConfig(), "exoskeleton", seed=3) as pool:
        obs, privileged = pool.reset()
        assert obs.shape == (2, pool.observation_size) and pool.num_workers == 2
        result = pool.step(np.zeros((2, pool.action_size), dtype=np.float32))
        assert result.observations.shape == obs.shape
        assert result.privileged.shape == privileged.shape


def test_the_pool_refuses_a_config_of_the_other_kind() -> None:
    with pytest.raises(ValueError, match="trains with an ExoEnvConfig"):
        EnvPool(1, 1, EnvConfig(), "exoskeleton")
