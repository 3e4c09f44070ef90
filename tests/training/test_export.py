"""ONNX export: the normalizer travels inside, the contract in the metadata, same numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from tensordict import TensorDict

from legkit.policy import OnnxPolicy, read_contract
from legkit.policy.contract import mismatches, sidecar_path
from legkit.robots import QUADRUPED
from legkit_train.export import export, load_actor, load_checkpoint, max_parity_error
from legkit_train.train import ModelConfig, TrainConfig, Trainer
from tests.training.envs import nominal_config


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkpoint after two learning iterations: its normalizer has moved off identity."""
    config = TrainConfig(
        num_envs=2,
        num_workers=1,
        model=ModelConfig(actor_hidden_dims=(32, 32), critic_hidden_dims=(32, 32)),
    )
    path = tmp_path_factory.mktemp("ckpt") / "model_2.pt"
    with Trainer(config, run_dir=None, env_config=nominal_config(), verbose=False) as trainer:
        trainer.learn(2)
        trainer.save(path)
    return path


def test_onnx_matches_torch_on_random_observations(checkpoint: Path, tmp_path: Path) -> None:
    out = tmp_path / "walk.onnx"
    export(checkpoint, out)
    assert max_parity_error(checkpoint, out, samples=500) <= 1e-5


def test_the_normalizer_is_inside_the_exported_graph(checkpoint: Path, tmp_path: Path) -> None:
    actor = load_actor(load_checkpoint(checkpoint))
    normalizer = actor.obs_normalizer
    assert not torch.allclose(normalizer.mean, torch.zeros_like(normalizer.mean))
    out = tmp_path / "walk.onnx"
    export(checkpoint, out)
    # Feeding the raw observation gives the torch actor's action: nothing to normalize outside.
    obs = np.random.default_rng(1).normal(size=45).astype(np.float32)
    with torch.inference_mode():
        expected = actor(TensorDict({"policy": torch.from_numpy(obs[None])}, batch_size=[1]))
    np.testing.assert_allclose(OnnxPolicy(out).act(obs), expected[0].numpy(), atol=1e-5)


def test_written_contract_is_the_robot_profiles_with_provenance(
    checkpoint: Path, tmp_path: Path
) -> None:
    out = tmp_path / "walk.onnx"
    export(checkpoint, out, description="test policy", command="python -m legkit_train.train")
    contract = read_contract(out)
    assert mismatches(contract, QUADRUPED) == []
    assert contract.joint_names == QUADRUPED.joint_names
    assert contract.observation_size == 45 and contract.action_size == 12
    assert contract.provenance["training_steps"] == str(2 * 2 * 24)
    assert contract.provenance["iteration"] == "2"
    assert contract.provenance["description"] == "test policy"
    assert contract.provenance["commit"]
    assert sidecar_path(out).read_text().strip() == contract.to_json().strip()


def test_export_refuses_a_file_that_is_not_a_checkpoint(tmp_path: Path) -> None:
    bogus = tmp_path / "model.pt"
    torch.save({"weights": 1}, bogus)
    with pytest.raises(ValueError, match="not a legkit checkpoint"):
        export(bogus, tmp_path / "x.onnx")
    assert not (tmp_path / "x.onnx").exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("observation_size", 48, "trained with 48 observations, the quadruped contract has 45"),
        ("action_size", 8, "trained with 8 actions, the quadruped contract has 12"),
        ("robot", "hexapod", "unknown robot 'hexapod'"),
    ],
)
def test_export_refuses_a_checkpoint_that_disagrees_with_the_contract(
    checkpoint: Path, tmp_path: Path, field: str, value: object, message: str
) -> None:
    state = torch.load(checkpoint, weights_only=False)
    state[field] = value
    altered = tmp_path / "altered.pt"
    torch.save(state, altered)
    with pytest.raises(ValueError, match=message):
        export(altered, tmp_path / "x.onnx")
    assert not (tmp_path / "x.onnx").exists()
