"""ExoAssistEnv: the gymnasium contract, deployment parity, shaping, rewards and episodes."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from legkit.policy.observation import ObservationBuilder, ObservationInputs
from legkit_train import EXO_ENV_IDS
from legkit_train.config import RandomTerm
from legkit_train.exo_config import ExoEnvConfig, ExoRandomization, ExoRewardWeights
from legkit_train.exo_env import ExoAssistEnv

MakeEnv = Callable[..., ExoAssistEnv]


@pytest.fixture
def make_env() -> Iterator[MakeEnv]:
    """Build assistance environments that are closed after the test."""
    envs: list[ExoAssistEnv] = []

    def make(config: ExoEnvConfig | None = None) -> ExoAssistEnv:
        env = ExoAssistEnv(config)
        envs.append(env)
        return env

    yield make
    for env in envs:
        env.close()


def nominal(task: str = "walk", **changes: object) -> ExoEnvConfig:
    """No randomization, no noise: the wearer and device exactly as modelled."""
    return dataclasses.replace(
        ExoEnvConfig(task=task, randomization=ExoRandomization.none()), **changes
    )


def random_actions(count: int, seed: int = 7) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1.0, 1.0, (count, 2)).astype(np.float32)


@pytest.mark.parametrize("task", ["walk", "squat"])
def test_passes_the_gymnasium_env_checker(make_env: MakeEnv, task: str) -> None:
    check_env(make_env(ExoEnvConfig(task=task)), skip_render_check=True)


@pytest.mark.parametrize(("task", "env_id"), sorted(EXO_ENV_IDS.items()))
def test_is_registered_under_a_gymnasium_id_per_task(task: str, env_id: str) -> None:
    env = gymnasium.make(env_id, config=nominal("walk"))
    try:
        assert isinstance(env.unwrapped, ExoAssistEnv)
        assert env.unwrapped.config.task == task  # the id decides the task
        assert env.observation_space.shape == (18,) and env.action_space.shape == (2,)
    finally:
        env.close()


def test_same_seed_and_actions_give_identical_observations_and_rewards(
    make_env: MakeEnv,
) -> None:
    a, b = make_env(), make_env()  # every randomization on
    np.testing.assert_array_equal(a.reset(seed=3)[0], b.reset(seed=3)[0])
    for action in random_actions(30):
        obs_a, rew_a, *_ = a.step(action)
        obs_b, rew_b, *_ = b.step(action)
        np.testing.assert_array_equal(obs_a, obs_b)
        assert rew_a == rew_b


def test_observation_is_what_the_deployed_builder_makes_of_the_thigh_imus(
    make_env: MakeEnv,
) -> None:
    env = make_env(nominal())  # no IMU latency, offset or noise: read as they are
    builder = ObservationBuilder.from_contract(env.contract)

    def deployed(last_action: np.ndarray) -> np.ndarray:
        angles, rates = env.world.thigh_imu()
        return builder.build(
            ObservationInputs(
                thigh_angles=angles, thigh_angular_velocities=rates, last_action=last_action
            )
        )

    obs, _ = env.reset(seed=0)
    np.testing.assert_array_equal(obs, deployed(np.zeros(2)))
    for action in random_actions(5):
        obs, *_ = env.step(action)
        np.testing.assert_array_equal(obs, deployed(action.astype(float)))


def test_delivered_torque_is_shaped_and_never_beyond_the_actuator_limit(
    make_env: MakeEnv,
) -> None:
    env = make_env(nominal())
    env.reset(seed=0)
    delivered = []
    for _ in range(30):
        env.step(np.array([50.0, -50.0], dtype=np.float32))  # far outside [-1, 1]
        delivered.append(env.assistance.output)
    delivered = np.array(delivered)
    assert np.abs(delivered).max() <= 18.0 + 1e-9
    np.testing.assert_allclose(delivered[-1], [18.0, -18.0], atol=1e-3)
    # The first policy step (10 ms, 5 physics steps) is limited by the 300 N m/s slew rate.
    assert np.abs(delivered[0]).max() <= 300.0 * 0.01 + 1e-9


def latency(factor: float) -> ExoEnvConfig:
    """Nominal, with the control latency at `factor` x the nominal 10 ms."""
    term = RandomTerm(enabled=True, low=factor, high=factor)
    return nominal(randomization=dataclasses.replace(ExoRandomization.none(), control_latency=term))


def test_control_latency_delays_the_torque(make_env: MakeEnv) -> None:
    prompt, slow = make_env(latency(0.5)), make_env(latency(1.5))
    for env in (prompt, slow):
        env.reset(seed=0)
        env.step(np.array([1.0, 1.0], dtype=np.float32))
    # 5 ms and 15 ms at 500 Hz: 2 (rounded to even) and 8 physics steps.
    assert (prompt.episode.action_delay_steps, slow.episode.action_delay_steps) == (2, 8)
    assert prompt.assistance.output[0] > 0.0
    np.testing.assert_array_equal(slow.assistance.output, 0.0)  # still on its way


def test_reward_terms_are_reported_weighted_and_zero_weights_are_dropped(
    make_env: MakeEnv,
) -> None:
    env = make_env(nominal(rewards=ExoRewardWeights(exo_torque=0.0)))
    env.reset(seed=0)
    _, reward, _, _, info = env.step(np.zeros(2, dtype=np.float32))
    terms = info["reward_terms"]
    assert "exo_torque" not in terms and "hip_effort" in terms
    assert reward == pytest.approx(sum(terms.values()))
    assert terms["alive"] == pytest.approx(5.0 * 0.01)  # weights are per second
    assert terms["hip_effort"] < 0.0 < terms["tracking"]


def test_a_reward_weight_without_a_term_fails_at_construction() -> None:
    config = ExoEnvConfig()
    object.__setattr__(config, "rewards", {"metabolic_cost": -1.0})
    with pytest.raises(ValueError, match="metabolic_cost"):
        ExoAssistEnv(config)


def test_episodes_are_truncated_at_the_time_limit(make_env: MakeEnv) -> None:
    env = make_env(nominal(episode_length_s=0.05))
    env.reset(seed=0)
    flags = [env.step(np.zeros(2, dtype=np.float32))[3] for _ in range(5)]
    assert flags == [False] * 4 + [True]


def test_a_collapsing_wearer_ends_the_episode(make_env: MakeEnv) -> None:
    # Limits so tight that ordinary walking breaks them stand in for a collapse.
    env = make_env(nominal(max_height_error=1e-4, max_lean_error=1e-4))
    env.reset(seed=0)
    terminated = [env.step(np.zeros(2, dtype=np.float32))[2] for _ in range(20)]
    assert any(terminated)
    relaxed = make_env(nominal())
    relaxed.reset(seed=0)
    assert not any(relaxed.step(a)[2] for a in random_actions(100))


def test_episodes_differ_in_device_wearer_and_gait_when_randomized(make_env: MakeEnv) -> None:
    env = make_env(ExoEnvConfig())
    draws = []
    for seed in range(4):
        env.reset(seed=seed)
        e = env.episode
        draws.append((e.exo_mass, e.human_strength, e.motion.period, e.action_delay_steps))
    assert len(set(draws)) == 4
    for exo_mass, strength, _, delay in draws:
        assert 0.8 <= exo_mass <= 1.2 and 0.8 <= strength <= 1.2 and 2 <= delay <= 8


def test_privileged_observation_holds_what_only_the_critic_sees(make_env: MakeEnv) -> None:
    env = make_env(nominal())
    env.reset(seed=0, options={"phase": 0.25})
    priv = env.privileged_observation()
    assert priv.shape == (env.privileged_size,) and priv.dtype == np.float32
    np.testing.assert_allclose(priv[:2], [1.0, 0.0], atol=0.01)  # a quarter of the cycle


def test_squatting_runs_and_pays_for_effort(make_env: MakeEnv) -> None:
    env = make_env(nominal("squat"))
    env.reset(seed=0)
    for _ in range(50):
        _, _, terminated, _, info = env.step(np.zeros(2, dtype=np.float32))
        assert not terminated
    assert info["reward_terms"]["other_effort"] < 0.0


def test_config_from_plain_data_refuses_unknown_keys() -> None:
    config = ExoEnvConfig.from_dict({"task": "squat", "rewards": {"hip_effort": -2.0}})
    assert config.task == "squat" and config.rewards.hip_effort == -2.0
    with pytest.raises(ValueError, match="unknown config key 'rewards.metabolic'"):
        ExoEnvConfig.from_dict({"rewards": {"metabolic": -1.0}})
    with pytest.raises(ValueError, match="task must be one of"):
        ExoEnvConfig.from_dict({"task": "run"})
