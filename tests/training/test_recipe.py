"""Training recipes: stages run in order, each resuming the last, and a rerun picks up."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch

from legkit_train.recipe import load_recipe, main, plan
from legkit_train.train import load_env_config, settings_changed

REPO = Path(__file__).resolve().parents[2]
RECIPES = REPO / "training" / "recipes"
SHIPPED_CHECKPOINT = REPO / "training" / "checkpoints" / "quadruped_walk.pt"


def write_recipe(folder: Path, body: str) -> Path:
    """A recipe file in `folder` with a short-episode env config beside it."""
    (folder / "short.yaml").write_text("episode_length_s: 0.5\ntracking_sigma: 0.2\n")
    path = folder / "recipe.yaml"
    path.write_text(body)
    return path


TWO_STAGES = """
seed: 3
stages:
  - name: first
    iterations: 2
    num_envs: 2
    save_interval: 1
  - name: second
    iterations: 2
    num_envs: 3
    env_config: short.yaml
    learning_rate: 1.0e-4
    save_interval: 1
    symmetry: true
"""


def checkpoint(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=False)


@pytest.mark.parametrize("path", sorted(RECIPES.glob("*.yaml")), ids=lambda p: p.name)
def test_every_committed_recipe_loads_with_its_env_configs(path: Path) -> None:
    assert load_recipe(path).stages


def test_the_shipped_recipe_is_what_trained_the_shipped_checkpoint() -> None:
    recipe = load_recipe(RECIPES / "quadruped_walk.yaml")
    state = checkpoint(SHIPPED_CHECKPOINT)
    last = recipe.stages[-1]
    assert recipe.end_iterations()[-1] == state["iteration"] == 13000
    assert state["averaged_iterations"] == recipe.averaged_iterations()
    trained = state["train_config"]
    assert (trained["num_envs"], trained["seed"]) == (last.num_envs, recipe.seed)
    assert trained["ppo"]["learning_rate"] == pytest.approx(last.learning_rate)
    assert trained["ppo"]["schedule"] == last.schedule
    assert trained["ppo"]["entropy_coef"] == pytest.approx(last.entropy_coef)
    documented = dataclasses.asdict(load_env_config(last.env_config))
    assert settings_changed(state["env_config"], documented) == []


AVERAGING = """
stages:
  - name: first
    iterations: 2
    num_envs: 2
    save_interval: 1
    average_last: 2
  - name: second
    iterations: 2
    num_envs: 2
    save_interval: 1
    average_last: 2
"""


def test_a_stage_may_end_in_the_mean_of_its_newest_checkpoints_which_the_next_resumes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recipe = write_recipe(tmp_path, AVERAGING)
    run = tmp_path / "run"
    main([str(recipe), "--run-dir", str(run), "--plan"])
    assert capsys.readouterr().out.splitlines()[-4:] == [
        "stage first: iterations 0 -> 2 from scratch",
        "then: the mean of iterations [1, 2]",
        f"stage second: iterations 2 -> 4 from {run / 'first' / 'averaged.pt'}",
        "then: the mean of iterations [3, 4]",
    ]
    main([str(recipe), "--run-dir", str(run)])
    out = capsys.readouterr().out
    assert f"resumed from {run / 'first' / 'averaged.pt'} at iteration 2" in out
    assert f"final checkpoint: {run / 'second' / 'averaged.pt'}" in out

    averaged = checkpoint(run / "second" / "averaged.pt")
    assert averaged["averaged_iterations"] == [3, 4]
    assert checkpoint(run / "first" / "averaged.pt")["averaged_iterations"] == [1, 2]
    last, before = (
        checkpoint(run / "second" / "model_4.pt"),
        checkpoint(run / "second" / "model_3.pt"),
    )
    key = "mlp.0.weight"
    torch.testing.assert_close(
        averaged["actor_state_dict"][key],
        (last["actor_state_dict"][key] + before["actor_state_dict"][key]) / 2,
    )


def test_stages_train_in_order_each_resuming_the_one_before(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recipe = write_recipe(tmp_path, TWO_STAGES)
    main([str(recipe), "--run-dir", str(tmp_path / "run")])

    first = checkpoint(tmp_path / "run" / "first" / "model_2.pt")
    second = checkpoint(tmp_path / "run" / "second" / "model_4.pt")
    assert first["iteration"] == 2 and second["iteration"] == 4
    assert second["env_steps"] == 2 * 2 * 24 + 2 * 3 * 24  # both stages' batches
    assert second["train_config"]["seed"] == 3
    assert second["train_config"]["ppo"]["learning_rate"] == pytest.approx(1e-4)
    assert (first["train_config"]["symmetry"], second["train_config"]["symmetry"]) == (False, True)
    assert second["env_config"]["episode_length_s"] == 0.5  # the stage's own config
    assert first["env_config"]["episode_length_s"] != 0.5
    out = capsys.readouterr().out
    assert f"resumed from {tmp_path / 'run' / 'first' / 'model_2.pt'} at iteration 2" in out
    assert f"final checkpoint: {tmp_path / 'run' / 'second' / 'model_4.pt'}" in out


def test_a_rerun_skips_finished_stages_and_continues_an_interrupted_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recipe = write_recipe(tmp_path, TWO_STAGES)
    run = tmp_path / "run"
    main([str(recipe), "--run-dir", str(run)])
    first_done = (run / "first" / "model_2.pt").stat().st_mtime_ns
    (run / "second" / "model_4.pt").unlink()  # stopped after iteration 3's checkpoint
    capsys.readouterr()

    main([str(recipe), "--run-dir", str(run), "--plan"])
    assert capsys.readouterr().out.splitlines()[-2:] == [
        "stage first: done (2 iterations)",
        f"stage second: iterations 3 -> 4 from {run / 'second' / 'model_3.pt'}",
    ]
    main([str(recipe), "--run-dir", str(run)])
    assert checkpoint(run / "second" / "model_4.pt")["iteration"] == 4
    assert (run / "first" / "model_2.pt").stat().st_mtime_ns == first_done


def test_a_run_directory_from_a_longer_recipe_is_refused(tmp_path: Path) -> None:
    recipe = load_recipe(write_recipe(tmp_path, TWO_STAGES))
    (tmp_path / "run" / "first").mkdir(parents=True)
    (tmp_path / "run" / "first" / "model_5.pt").write_bytes(b"")
    with pytest.raises(ValueError, match="model_5.pt, past the stage's end at iteration 2"):
        plan(recipe, tmp_path / "run")


ONE = "stages:\n  - name: a\n    iterations: 1\n"
"""A one-stage recipe that later lines of the stage extend."""


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (ONE + "    lr: 0.1\n", r"stage 1: unknown key\(s\) \['lr'\]"),
        (ONE + "    env_config: nope.yaml\n", "stage 1: env_config nope.yaml not found"),
        (ONE + "    env_config: bad.yaml\n", "bad.yaml: unknown config key 'foot_slip'"),
        (ONE + "    num_envs: 0\n", "stage a: num_envs must be > 0"),
        (ONE + "  - name: a\n    iterations: 1\n", "names must differ"),
        ("stages: []\n", "at least one stage"),
        ("seed: 1\n", "'stages' must be a list"),
        ("stages:\n  - {iterations: 1}\n", "stage 1: .*name"),
        (ONE + "average_last: 2\n", r"unknown key\(s\) \['average_last'\]"),  # per stage
        (ONE + "    average_last: 0\n", "stage a: average_last must be >= 1"),
        (ONE + "    average_last: 2\n", "stage a: average_last 2, but it saves only 1 checkpoints"),
    ],
)
def test_a_bad_recipe_fails_before_any_training_naming_what_is_wrong(
    tmp_path: Path, body: str, message: str
) -> None:
    (tmp_path / "bad.yaml").write_text("foot_slip: 1.0\n")
    recipe = write_recipe(tmp_path, body)
    with pytest.raises(ValueError, match=message):
        main([str(recipe), "--run-dir", str(tmp_path / "run")])
    assert not (tmp_path / "run").exists()
