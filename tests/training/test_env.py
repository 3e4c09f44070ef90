"""QuadrupedWalkEnv: the gymnasium contract, determinism, deployment parity and episodes."""

from __future__ import annotations

import dataclasses

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from legkit.policy.observation import ObservationBuilder, ObservationInputs
from legkit.rotations import tilt
from legkit_train import ENV_ID
from legkit_train.config import EnvConfig, RandomTerm, RewardWeights
from legkit_train.env import QuadrupedWalkEnv
from tests.training.envs import MakeEnv, nominal_config

UPSIDE_DOWN = np.array([1.0, 0.0, 0.0, 0.0])  # x, y, z, w: rolled by pi


def random_actions(count: int, seed: int = 7) -> np.ndarray:
    """Moderate joint offsets, enough to move the robot without throwing it over."""
    return np.random.default_rng(seed).uniform(-0.5, 0.5, (count, 12)).astype(np.float32)


# The action space is the contract's clip range, deliberately not [-1, 1]: the policy's
# raw output is what deployment clips and scales.
@pytest.mark.filterwarnings("ignore:.*symmetric and normalized space")
def test_passes_the_gymnasium_env_checker(make_env: MakeEnv) -> None:
    check_env(make_env().unwrapped, skip_render_check=True)


def test_is_registered_under_its_gymnasium_id() -> None:
    env = gymnasium.make(ENV_ID, config=nominal_config())
    try:
        assert isinstance(env.unwrapped, QuadrupedWalkEnv)
    finally:
        env.close()


def test_same_seed_and_actions_give_identical_observations_and_rewards(
    make_env: MakeEnv,
) -> None:
    # Default config: every randomization on, so every random draw is covered.
    a, b = make_env(), make_env()
    obs_a, _ = a.reset(seed=3)
    obs_b, _ = b.reset(seed=3)
    np.testing.assert_array_equal(obs_a, obs_b)
    for action in random_actions(50):
        obs_a, rew_a, *_ = a.step(action)
        obs_b, rew_b, *_ = b.step(action)
        np.testing.assert_array_equal(obs_a, obs_b)
        assert rew_a == rew_b


def test_observation_is_what_the_deployed_observation_builder_makes_of_the_world(
    make_env: MakeEnv,
) -> None:
    env = make_env(nominal_config())  # no latency, no noise: the sensors are read as they are
    env.reset(seed=0)
    builder = ObservationBuilder.from_contract(env.contract)
    assert env.observation_space.shape == (env.contract.observation_size,)
    for action in random_actions(5):
        obs, *_ = env.step(action)
        imu, state = env.world.imu(), env.world.state()
        expected = builder.build(
            ObservationInputs(
                base_angular_velocity=imu.angular_velocity,
                base_orientation=imu.orientation,
                velocity_command=env.command,
                joint_positions=state.joint_positions,
                joint_velocities=state.joint_velocities,
                last_action=action.astype(float),
            )
        )
        assert obs.shape == (env.contract.observation_size,)
        np.testing.assert_array_equal(obs, expected)


def test_zero_action_keeps_the_robot_standing_for_two_seconds(make_env: MakeEnv) -> None:
    env = make_env(nominal_config())
    env.reset(seed=0)
    for _ in range(round(2.0 / env.contract.control_period)):
        _, _, terminated, truncated, _ = env.step(np.zeros(12, dtype=np.float32))
        assert not (terminated or truncated)
    state = env.world.state()
    assert state.base_position[2] > 0.25
    assert tilt(state.base_orientation) < 0.1


@pytest.mark.parametrize(
    ("height", "orientation"),
    [
        (0.3, UPSIDE_DOWN),  # on its back: the base touches the ground
        (1.0, np.array([np.sin(0.6), 0.0, 0.0, np.cos(0.6)])),  # 1.2 rad roll, in the air
    ],
    ids=["upside_down", "tilted_in_the_air"],
)
def test_an_overturned_robot_ends_the_episode(
    make_env: MakeEnv, height: float, orientation: np.ndarray
) -> None:
    env = make_env(nominal_config())
    env.reset(seed=0)
    env.world.set_kinematic_pose(
        np.array([0.0, 0.0, height]), orientation, env.profile.default_positions
    )
    terminated = False
    for _ in range(5):
        _, _, terminated, _, _ = env.step(np.zeros(12, dtype=np.float32))
        if terminated:
            break
    assert terminated


@pytest.mark.parametrize(("rule", "ends"), [("base", False), ("non_foot", True)])
def test_shanks_on_the_ground_end_the_episode_only_under_the_non_foot_rule(
    make_env: MakeEnv, rule: str, ends: bool
) -> None:
    # Crouched on feet, shanks and thighs with the base level and 8 cm up: a stumble, not a fall,
    # under the default rule; the collision term still charges it.
    env = make_env(dataclasses.replace(nominal_config(), termination_contact=rule))
    env.reset(seed=0)
    lying = np.array(env.profile.lying_joint_positions)
    env.world.set_kinematic_pose(np.array([0.0, 0.0, 0.08]), np.array([0.0, 0.0, 0.0, 1.0]), lying)
    hold = (lying - env.profile.default_positions) / env.contract.action_scale
    _, _, terminated, _, info = env.step(hold.astype(np.float32))
    assert env.world.non_foot_contact() and not env.world.base_contact()
    assert terminated is ends
    assert info["reward_terms"]["collision"] < 0.0


def test_an_unknown_termination_contact_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="termination_contact must be one of"):
        EnvConfig(termination_contact="knees")


def test_a_fall_pays_the_termination_weight_once_after_the_positive_clip(
    make_env: MakeEnv,
) -> None:
    config = nominal_config()
    config.rewards = RewardWeights(termination=-200.0)
    assert config.only_positive_rewards
    env = make_env(config)
    env.reset(seed=0)
    _, reward, terminated, _, info = env.step(np.zeros(12, dtype=np.float32))
    assert not terminated and info["reward_terms"]["termination"] == 0.0 and reward > 0.0
    env.world.set_kinematic_pose(
        np.array([0.0, 0.0, 0.3]), UPSIDE_DOWN, env.profile.default_positions
    )
    terminated = False
    while not terminated:
        _, reward, terminated, _, info = env.step(np.zeros(12, dtype=np.float32))
    # -200 per second for one 20 ms step; the clip at zero does not swallow it.
    assert info["reward_terms"]["termination"] == pytest.approx(-4.0)
    others = sum(v for k, v in info["reward_terms"].items() if k != "termination")
    assert reward == pytest.approx(max(others, 0.0) - 4.0)


def test_episodes_are_truncated_at_the_time_limit(make_env: MakeEnv) -> None:
    config = nominal_config()
    config.episode_length_s = 0.1
    env = make_env(config)
    env.reset(seed=0)
    flags = [env.step(np.zeros(12, dtype=np.float32))[3] for _ in range(5)]
    assert flags == [False] * 4 + [True]


def test_reward_terms_are_reported_weighted_and_zero_weights_are_dropped(
    make_env: MakeEnv,
) -> None:
    config = nominal_config()
    config.rewards = RewardWeights(torques=0.0)
    env = make_env(config)
    env.reset(seed=0)
    _, reward, _, _, info = env.step(np.zeros(12, dtype=np.float32))
    terms = info["reward_terms"]
    assert "torques" not in terms and "lin_vel_tracking" in terms
    assert reward == pytest.approx(sum(terms.values()))
    # Weights are per second: perfect tracking for one 20 ms step pays at most 0.02.
    assert 0.0 < terms["lin_vel_tracking"] <= 0.02


def test_a_reward_weight_without_a_term_fails_at_construction() -> None:
    config = EnvConfig()
    object.__setattr__(config, "rewards", {"foot_slip": -1.0})
    with pytest.raises(ValueError, match="foot_slip"):
        QuadrupedWalkEnv(config)


def test_observation_latency_of_20_ms_shows_the_state_one_policy_step_late(
    make_env: MakeEnv,
) -> None:
    # 20 ms is 5 physics steps at 250 Hz: exactly one 50 Hz policy step. Observation
    # latency does not change the physics, so an undelayed twin shows the true states.
    delay = RandomTerm(enabled=True, low=0.02, high=0.02)
    live, late = make_env(nominal_config()), make_env(nominal_config(observation_latency=delay))
    live_obs = [live.reset(seed=1)[0]]
    late_obs = [late.reset(seed=1)[0]]
    assert late.randomization.observation_delay_steps == 5 == late.contract.decimation
    for action in random_actions(10):
        live_obs.append(live.step(action)[0])
        late_obs.append(late.step(action)[0])

    slices = ObservationBuilder.from_contract(late.contract).term_slices()

    def indices(*terms: str) -> np.ndarray:
        return np.concatenate([np.arange(s.start, s.stop) for s in (slices[t] for t in terms)])

    sensed = indices("base_ang_vel", "projected_gravity", "joint_pos", "joint_vel")
    told = indices("velocity_command", "last_action")
    # Before any step the delayed reading is the reset state itself.
    np.testing.assert_array_equal(late_obs[0], live_obs[0])
    for k in range(1, len(late_obs)):
        np.testing.assert_array_equal(late_obs[k][sensed], live_obs[k - 1][sensed])
        np.testing.assert_array_equal(late_obs[k][told], live_obs[k][told])
    # The robot moved, so the comparison above is not between equal constants.
    assert not np.array_equal(live_obs[-1][sensed], live_obs[-2][sensed])


def test_a_seeded_reset_reproduces_the_next_step_whatever_ran_before(make_env: MakeEnv) -> None:
    env = make_env()
    action = random_actions(1, seed=11)[0] * 20.0  # big targets: feet leave the ground
    for steps_before in range(4):
        env.reset(seed=1)
        for _ in range(steps_before):
            env.step(action)
        env.reset(seed=123)
        first = env.step(action)
        env.reset(seed=123)
        second = env.step(action)
        np.testing.assert_array_equal(first[0], second[0])
        assert first[1] == second[1]


def test_a_step_worth_less_than_nothing_pays_zero_unless_configured_otherwise(
    make_env: MakeEnv,
) -> None:
    jerky = random_actions(1, seed=3)[0] * 4.0
    penalized = dataclasses.replace(nominal_config(), rewards=RewardWeights(action_rate=-100.0))
    clipped = make_env(penalized)
    raw = make_env(dataclasses.replace(penalized, only_positive_rewards=False))
    for env in (clipped, raw):
        env.reset(seed=0)
    _, reward, _, _, info = clipped.step(jerky)
    assert sum(info["reward_terms"].values()) < 0.0 and reward == 0.0
    _, reward, _, _, info = raw.step(jerky)
    assert reward == pytest.approx(sum(info["reward_terms"].values())) and reward < 0.0


def test_privileged_observation_holds_the_ground_truth_only_the_critic_sees(
    make_env: MakeEnv,
) -> None:
    env = make_env(nominal_config())
    env.reset(seed=0)
    at_rest = env.privileged_observation()
    assert at_rest.shape == (env.privileged_size,) == (10,) and at_rest.dtype == np.float32
    np.testing.assert_allclose(at_rest[:3], 0.0, atol=0.05)  # body velocity
    assert at_rest[3] == pytest.approx(env.profile.nominal_base_height, abs=0.03)
    np.testing.assert_array_equal(at_rest[4:8], 1.0)  # all four feet down
    np.testing.assert_allclose(at_rest[8:], [1.0, 0.0])  # nominal friction, no added mass
    env.world.push_base(np.array([0.8, 0.0, 0.0]))
    _, _, _, _, info = env.step(np.zeros(12, dtype=np.float32))
    moving = env.privileged_observation()
    np.testing.assert_allclose(moving[:2], info["base_velocity"][:2], atol=1e-6)
    assert moving[0] > 0.3  # the shove shows as forward speed


def test_reset_takes_the_command_to_follow_and_steps_report_joint_power(
    make_env: MakeEnv,
) -> None:
    env = make_env(nominal_config())
    obs, info = env.reset(seed=0, options={"command": [0.4, -0.2, 0.5]})
    np.testing.assert_allclose(info["command"], [0.4, -0.2, 0.5])
    command = ObservationBuilder.from_contract(env.contract).term_slices()["velocity_command"]
    assert not np.allclose(obs[command], 0.0)  # the policy is told, scaled by the layout
    _, _, _, _, still = env.step(np.zeros(12, dtype=np.float32))
    _, _, _, _, moving = env.step(random_actions(1)[0] * 4.0)
    assert 0.0 <= still["joint_power"] < moving["joint_power"]
    with pytest.raises(ValueError, match="3 finite values"):
        env.set_command(np.array([np.nan, 0.0, 0.0]))


def test_targets_beyond_the_joint_limits_are_clamped_as_the_controller_clamps_them(
    make_env: MakeEnv,
) -> None:
    # A huge action asks for targets far outside every joint's range; the deployed
    # controller would hold the limit, so the simulated one must too.
    beyond, at_limit = make_env(nominal_config()), make_env(nominal_config())
    for env in (beyond, at_limit):
        env.reset(seed=0)
    contract, profile = beyond.contract, beyond.profile
    huge = np.full(12, 90.0, dtype=np.float32)
    exact = (profile.upper_limits - contract.default_joint_positions) / contract.action_scale
    assert np.all(contract.joint_targets(huge) > profile.upper_limits)
    obs_beyond = beyond.step(huge)[0]
    obs_exact = at_limit.step(exact.astype(np.float32))[0]
    sensed = ObservationBuilder.from_contract(contract).term_slices()["joint_pos"]
    np.testing.assert_allclose(obs_beyond[sensed], obs_exact[sensed], atol=1e-5)


def test_reversals_make_a_resampled_command_the_opposite_of_the_one_before(
    make_env: MakeEnv,
) -> None:
    config = nominal_config()
    config.commands = dataclasses.replace(
        config.commands, resample_period_s=0.1, still_fraction=0.0, reversal_fraction=1.0
    )
    config.curriculum = dataclasses.replace(config.curriculum, enabled=False)  # full ranges
    env = make_env(config)
    env.reset(seed=0, options={"command": [0.3, -0.2, 0.4]})
    commands = []
    for _ in range(15):  # 0.3 s: three resamples
        _, _, _, _, info = env.step(np.zeros(12, dtype=np.float32))
        commands.append(info["command"].copy())
    changes = [c for a, c in zip(commands, commands[1:], strict=False) if not np.allclose(a, c)]
    assert len(changes) >= 2
    for command in changes:
        assert np.allclose(np.abs(command), [0.3, 0.2, 0.4])
    np.testing.assert_allclose(changes[0], -changes[1])


def test_without_reversals_resampled_commands_are_drawn_afresh(make_env: MakeEnv) -> None:
    config = nominal_config()
    config.commands = dataclasses.replace(config.commands, resample_period_s=0.1)
    env = make_env(config)
    env.reset(seed=0, options={"command": [0.3, -0.2, 0.4]})
    for _ in range(6):
        _, _, _, _, info = env.step(np.zeros(12, dtype=np.float32))
    assert not np.allclose(np.abs(info["command"]), [0.3, 0.2, 0.4])


def test_full_speed_commands_ask_for_the_end_of_the_forward_range(make_env: MakeEnv) -> None:
    config = nominal_config()
    config.commands = dataclasses.replace(
        config.commands, resample_period_s=0.02, still_fraction=0.0, full_speed_fraction=1.0
    )
    config.curriculum = dataclasses.replace(config.curriculum, enabled=False)  # full ranges
    env = make_env(config)
    env.reset(seed=0)
    forward = [abs(env.step(np.zeros(12, dtype=np.float32))[4]["command"][0]) for _ in range(10)]
    assert forward == [config.commands.vx[1]] * 10
