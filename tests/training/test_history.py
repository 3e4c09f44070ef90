"""Observation history for the walking policy: the env stacks frames, the contract says
how many, and a trained one-frame policy widens to more frames without changing what
it does."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch
from tensordict import TensorDict

from legkit.policy import OnnxPolicy, read_contract
from legkit_train.config import EnvConfig
from legkit_train.evaluate import evaluate_env
from legkit_train.export import export, load_actor, load_checkpoint
from legkit_train.history import main as history_main
from legkit_train.history import widen_history
from legkit_train.train import CheckpointMismatch, ModelConfig, TrainConfig, Trainer
from tests.training.envs import MakeEnv, nominal_config

FRAME = 45
SMALL = TrainConfig(
    num_envs=2,
    num_workers=1,
    model=ModelConfig(actor_hidden_dims=(32, 32), critic_hidden_dims=(32, 32)),
)


def with_history(frames: int) -> EnvConfig:
    return dataclasses.replace(nominal_config(), history_length=frames)


@pytest.fixture(scope="module")
def one_frame_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two learning iterations on one frame: normalizer and optimizer have state."""
    path = tmp_path_factory.mktemp("ckpt") / "model_2.pt"
    with Trainer(SMALL, run_dir=None, env_config=nominal_config(), verbose=False) as trainer:
        trainer.learn(2)
        trainer.save(path)
    return path


def test_the_env_observation_is_the_last_frames_oldest_first(make_env: MakeEnv) -> None:
    env = make_env(with_history(3))
    assert env.contract.history_length == 3
    assert env.observation_space.shape == (3 * FRAME,)
    first, _ = env.reset(seed=0)
    # After a reset every slot holds the first frame, as on the robot.
    np.testing.assert_array_equal(first[:FRAME], first[-FRAME:])
    second, *_ = env.step(np.zeros(12))
    np.testing.assert_array_equal(second[FRAME : 2 * FRAME], first[-FRAME:])
    assert not np.array_equal(second[-FRAME:], first[-FRAME:])


@pytest.mark.parametrize("value", [0, 2.5, True, "five"])
def test_a_history_length_that_is_not_a_positive_integer_is_refused(value: object) -> None:
    with pytest.raises(ValueError, match="history_length"):
        EnvConfig.from_dict({"history_length": value})
    assert EnvConfig.from_dict({"history_length": 5}).history_length == 5


def test_a_widened_actor_acts_as_before_whatever_the_older_frames_hold(
    one_frame_checkpoint: Path,
) -> None:
    state = load_checkpoint(one_frame_checkpoint)
    widened = widen_history(state, 4)
    assert widened["observation_size"] == 4 * FRAME
    assert widened["env_config"]["history_length"] == 4
    old, new = load_actor(state), load_actor(widened)
    rng = torch.Generator().manual_seed(0)
    newest = torch.randn(16, FRAME, generator=rng)
    older = 5.0 * torch.randn(16, 3 * FRAME, generator=rng)
    with torch.inference_mode():
        before = old(TensorDict({"policy": newest}, batch_size=[16]))
        after = new(TensorDict({"policy": torch.cat([older, newest], 1)}, batch_size=[16]))
    torch.testing.assert_close(after, before, atol=1e-5, rtol=0.0)


def test_new_weights_start_without_momentum_at_their_neighbours_gradient_scale(
    one_frame_checkpoint: Path,
) -> None:
    # A zero second moment would make Adam's first steps on 180 new inputs about three
    # learning rates each: enough to undo a trained gait.
    state = load_checkpoint(one_frame_checkpoint)
    widened = widen_history(state, 3)
    first_layers = [
        (old, new)
        for old, new in zip(
            state["optimizer_state_dict"]["state"].values(),
            widened["optimizer_state_dict"]["state"].values(),
            strict=True,
        )
        if new["exp_avg"].shape != old["exp_avg"].shape
    ]
    assert len(first_layers) == 2  # the actor's and the critic's
    for old, new in first_layers:
        added = 2 * FRAME
        assert torch.all(new["exp_avg"][:, :added] == 0.0)
        torch.testing.assert_close(new["exp_avg"][:, added:], old["exp_avg"])
        for frame in range(2):
            torch.testing.assert_close(
                new["exp_avg_sq"][:, frame * FRAME : (frame + 1) * FRAME],
                old["exp_avg_sq"][:, :FRAME],
            )
        torch.testing.assert_close(new["exp_avg_sq"][:, added:], old["exp_avg_sq"])


def test_a_widened_checkpoint_resumes_and_exports_with_its_frames(
    one_frame_checkpoint: Path, tmp_path: Path
) -> None:
    widened = tmp_path / "widened.pt"
    history_main([str(one_frame_checkpoint), str(widened), "--frames", "3"])
    with Trainer(SMALL, run_dir=None, env_config=with_history(3), verbose=False) as trainer:
        assert trainer.load(widened) == []  # the env settings match the widened checkpoint
        trainer.learn(1)  # the optimizer accepts the widened moments
        trainer.save(tmp_path / "model_3.pt")
    out = tmp_path / "walk.onnx"
    export(tmp_path / "model_3.pt", out)
    contract = read_contract(out)
    assert contract.history_length == 3 and contract.observation_size == 3 * FRAME
    assert OnnxPolicy(out).act(np.zeros(3 * FRAME, np.float32)).shape == (12,)
    # The evaluation builds its env with the frames the policy's contract reads.
    score, (trace,) = evaluate_env(out, episodes=1, randomized=False, episode_s=0.5)
    assert len(trace.t) == 25 or score.falls == 1


def test_a_widened_checkpoint_is_refused_by_a_run_with_another_frame_count(
    one_frame_checkpoint: Path, tmp_path: Path
) -> None:
    widened = tmp_path / "widened.pt"
    torch.save(widen_history(load_checkpoint(one_frame_checkpoint), 3), widened)
    with Trainer(SMALL, run_dir=None, env_config=nominal_config(), verbose=False) as trainer:
        with pytest.raises(CheckpointMismatch, match="observation_size: checkpoint has 135"):
            trainer.load(widened)


def test_widening_to_no_more_frames_than_trained_is_refused(one_frame_checkpoint: Path) -> None:
    with pytest.raises(ValueError, match="already reads 1 frame"):
        widen_history(load_checkpoint(one_frame_checkpoint), 1)
