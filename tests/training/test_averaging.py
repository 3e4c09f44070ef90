"""Checkpoint averaging: the policy is the mean of a run's last checkpoints' networks,
over the newest one's normalizer and record, and resumes and exports like any checkpoint."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from legkit_train.averaging import average_checkpoints, main
from legkit_train.export import export
from legkit_train.recipe import main as recipe_main
from legkit_train.train import TrainConfig, Trainer

THREE_ITERATIONS = "stages:\n  - {name: s, iterations: 3, num_envs: 2, save_interval: 1}\n"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """model_1.pt .. model_3.pt of one short run."""
    folder = tmp_path_factory.mktemp("averaging")
    (folder / "recipe.yaml").write_text(THREE_ITERATIONS)
    recipe_main([str(folder / "recipe.yaml"), "--run-dir", str(folder / "run")])
    return folder / "run" / "s"


def load(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=False)


def test_networks_are_the_mean_and_the_normalizer_and_record_the_newest(run: Path) -> None:
    paths = [run / f"model_{i}.pt" for i in (3, 1, 2)]  # any order
    states = [load(p) for p in paths]
    averaged = average_checkpoints(paths)

    assert averaged["averaged_iterations"] == [1, 2, 3]
    newest = states[0]
    assert averaged["iteration"] == 3 and averaged["env_steps"] == newest["env_steps"]
    for net in ("actor_state_dict", "critic_state_dict"):
        for key, value in averaged[net].items():
            if key.startswith("obs_normalizer."):
                assert torch.equal(value, newest[net][key]), key
            else:
                mean = sum(s[net][key] for s in states) / 3
                torch.testing.assert_close(value, mean, msg=key)
    weights = "mlp.0.weight"
    assert not torch.equal(
        states[1]["actor_state_dict"][weights], newest["actor_state_dict"][weights]
    )


def test_the_average_resumes_and_exports_like_a_checkpoint(run: Path, tmp_path: Path) -> None:
    out = tmp_path / "averaged.pt"
    main([str(out), str(run / "model_2.pt"), str(run / "model_3.pt")])
    with Trainer(TrainConfig(num_envs=2, iterations=1), None) as trainer:
        trainer.load(out)  # strict: every tensor present, every shape right
        assert trainer.iteration == 3
    contract = export(out, tmp_path / "averaged.onnx")
    assert contract.provenance["iteration"] == "3"
    assert contract.provenance["averaged_iterations"] == "2, 3"


def test_what_cannot_be_averaged_is_refused(run: Path, tmp_path: Path) -> None:
    one = run / "model_1.pt"
    with pytest.raises(ValueError, match="at least two checkpoints, got 1"):
        average_checkpoints([one])
    with pytest.raises(ValueError, match=r"same iteration among \[1, 1\]"):
        average_checkpoints([one, one])
    other = load(run / "model_2.pt")
    other["observation_size"] += 3
    torch.save(other, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="other.pt: observation_size"):
        average_checkpoints([tmp_path / "other.pt", run / "model_3.pt"])
    (tmp_path / "junk.pt").write_bytes(b"")
    with pytest.raises(ValueError, match="junk.pt: not a legkit checkpoint"):
        average_checkpoints([tmp_path / "junk.pt", one])
