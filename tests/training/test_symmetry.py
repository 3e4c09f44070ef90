"""Left-right mirror symmetry: the mirror of the robot, its observation and its training data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pybullet as p
import pytest
import torch
from tensordict import TensorDict

from legkit.policy.defaults import training_contract
from legkit.policy.observation import ObservationBuilder, ObservationInputs
from legkit.robots import get_profile
from legkit.sim.world import PybulletWorld, SimConfig
from legkit_train.env import QuadrupedWalkEnv
from legkit_train.exo_config import ExoEnvConfig
from legkit_train.symmetry import (
    SignedPermutation,
    joint_mirror,
    mirror_name,
    observation_mirror,
    privileged_mirror,
)
from legkit_train.train import TrainConfig, Trainer, mirror_augmentation
from legkit_train.vec_env import OBS_GROUP, PRIVILEGED_GROUP
from tests.training.envs import nominal_config

QUADRUPED = get_profile("quadruped")
JOINTS = [j.name for j in QUADRUPED.joints]


def mirrored_quaternion(q: np.ndarray) -> np.ndarray:
    """Orientation (x, y, z, w) reflected across the x-z plane: roll and yaw negated."""
    x, y, z, w = q
    return np.array([-x, y, -z, w])


def test_the_joint_mirror_puts_each_foot_where_its_partner_mirrored_was() -> None:
    world = PybulletWorld(QUADRUPED, SimConfig(initial_pose="standing"))
    try:
        rng = np.random.default_rng(0)
        lower, upper = QUADRUPED.lower_limits, QUADRUPED.upper_limits

        def feet(q: np.ndarray) -> dict[str, np.ndarray]:
            world.set_kinematic_pose(np.array([0.0, 0.0, 1.0]), np.array([0, 0, 0, 1.0]), q)
            return {
                name: np.array(p.getLinkState(world._robot, i, physicsClientId=world._client)[0])
                for name, i in zip(QUADRUPED.foot_links, world._foot_ids, strict=True)
            }

        mirror = joint_mirror(JOINTS)
        for _ in range(5):
            q = rng.uniform(lower, upper)
            before, after = feet(q), feet(mirror.apply(q))
            for name in QUADRUPED.foot_links:
                np.testing.assert_allclose(
                    after[mirror_name(name)], before[name] * [1, -1, 1], atol=1e-9
                )
    finally:
        world.close()


@pytest.mark.parametrize("history_length", [1, 3])
def test_the_observation_of_the_mirrored_robot_is_the_mirrored_observation(
    history_length: int,
) -> None:
    contract = training_contract(QUADRUPED, history_length=history_length)
    mirror, joints = observation_mirror(contract), joint_mirror(JOINTS)
    builder, mirrored_builder = (ObservationBuilder.from_contract(contract) for _ in range(2))
    rng = np.random.default_rng(1)
    default = np.array(contract.default_joint_positions)
    for _ in range(history_length + 2):
        rpy = rng.uniform(-0.4, 0.4, 3)
        orientation = np.array(p.getQuaternionFromEuler(rpy.tolist()))
        inputs = ObservationInputs(
            base_angular_velocity=rng.normal(size=3),
            base_orientation=orientation,
            velocity_command=rng.uniform(-1, 1, 3),
            joint_positions=default + rng.normal(scale=0.3, size=12),
            joint_velocities=rng.normal(scale=3, size=12),
            last_action=rng.normal(size=12),
        )
        w = inputs.base_angular_velocity
        v = inputs.velocity_command
        mirrored = ObservationInputs(
            base_angular_velocity=np.array([-w[0], w[1], -w[2]]),
            base_orientation=mirrored_quaternion(orientation),
            velocity_command=np.array([v[0], -v[1], -v[2]]),
            # Offsets from the default pose mirror, and the default pose is its own mirror.
            joint_positions=default + joints.apply(inputs.joint_positions - default),
            joint_velocities=joints.apply(inputs.joint_velocities),
            last_action=joints.apply(inputs.last_action),
        )
        np.testing.assert_allclose(
            mirrored_builder.build(mirrored), mirror.apply(builder.build(inputs)), atol=1e-6
        )


def test_the_privileged_mirror_negates_lateral_velocity_and_swaps_the_feet() -> None:
    env = QuadrupedWalkEnv(nominal_config())
    try:
        mirror = privileged_mirror(QUADRUPED)
        assert len(mirror) == env.privileged_size
        # vx, vy, vz, height, contacts LF RF LH RH, friction, added mass
        x = np.array([0.5, 0.2, 0.1, 0.3, 1, 0, 0, 1, 0.8, 1.5])
        expected = np.array([0.5, -0.2, 0.1, 0.3, 0, 1, 1, 0, 0.8, 1.5])
        np.testing.assert_array_equal(mirror.apply(x), expected)
        assert list(QUADRUPED.foot_links) == ["LF_FOOT", "RF_FOOT", "LH_FOOT", "RH_FOOT"]
    finally:
        env.close()


def test_a_mirror_gives_the_vector_back_when_applied_twice() -> None:
    contract = training_contract(QUADRUPED, history_length=2)
    x = np.random.default_rng(2).normal(size=(4, contract.observation_size))
    mirror = observation_mirror(contract)
    np.testing.assert_array_equal(mirror.apply(mirror.apply(x)), x)
    assert not np.allclose(mirror.apply(x), x)
    with pytest.raises(ValueError, match="applied twice"):
        SignedPermutation(np.array([1, 2, 0]), np.ones(3))


def test_what_has_no_mirror_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="'L_HIP'"):
        joint_mirror(["L_HIP", "R_HIP"])
    with pytest.raises(ValueError, match="'XF_HAA'"):
        joint_mirror(["XF_HAA"])
    with pytest.raises(ValueError, match="'LF_HAA' is the mirror"):
        joint_mirror(["RF_HAA"])
    with pytest.raises(ValueError, match="walking environment only"):
        mirror_augmentation("exoskeleton", ExoEnvConfig())


def test_the_augmentation_appends_each_batch_mirrored_to_the_ppo_update(tmp_path: Path) -> None:
    config = TrainConfig(num_envs=4, symmetry=True)
    with Trainer(config, tmp_path, nominal_config(), verbose=False) as trainer:
        augment = trainer.alg.symmetry
        assert augment is not None and augment.use_data_augmentation
        obs = trainer.env.get_observations()
        actions = torch.randn(4, 12)
        doubled, doubled_actions = augment.data_augmentation_func(
            env=trainer.env, obs=obs, actions=actions
        )
        mirror = augment.data_augmentation_func.groups
        assert doubled.batch_size[0] == 8
        torch.testing.assert_close(doubled[OBS_GROUP][:4], obs[OBS_GROUP])
        torch.testing.assert_close(
            doubled[PRIVILEGED_GROUP][4:],
            mirror[PRIVILEGED_GROUP].apply_torch(obs[PRIVILEGED_GROUP]),
        )
        torch.testing.assert_close(doubled_actions[4:, 0], -actions[:, 3])  # RF_HAA -> LF_HAA
        trainer.learn(1)
    state = torch.load(tmp_path / "model_1.pt", weights_only=False)
    assert state["train_config"]["symmetry"] is True


def test_the_augmentation_leaves_a_missing_part_missing() -> None:
    augment = mirror_augmentation("quadruped", nominal_config())
    obs = TensorDict(
        {OBS_GROUP: torch.zeros(2, 45), PRIVILEGED_GROUP: torch.zeros(2, 10)}, batch_size=[2]
    )
    doubled, actions = augment(env=None, obs=obs, actions=None)
    assert actions is None and doubled.batch_size[0] == 4
    obs_none, doubled_actions = augment(env=None, obs=None, actions=torch.ones(3, 12))
    assert obs_none is None and doubled_actions.shape == (6, 12)
