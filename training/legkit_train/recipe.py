"""A walking policy's whole training as one file: its stages, run in order, resumable.

Usage::

    python -m legkit_train.recipe training/recipes/quadruped_walk.yaml \
        --run-dir runs/train/quadruped_walk

A recipe lists stages; each trains a number of iterations from where the stage before
ended, with its own environment config, batch and learning rate (what the model card's
commands pass as flags), and may end in the mean of its newest checkpoints. Each stage
writes to ``<run-dir>/<stage name>``. Run again with the same arguments, the command
skips finished stages and continues an interrupted one from its latest checkpoint: a
training longer than a session is the same command run once per session.

Recipe file (YAML)::

    seed: 0
    stages:
      - name: precise
        iterations: 3000
        env_config: ../configs/quadruped_walk_precise.yaml   # relative to this file
        num_envs: 128
        learning_rate: 3.0e-4
        save_interval: 50
        average_last: 9    # optional: the stage ends in the mean of its last 9

Stage keys not given take `TrainConfig`'s and `PpoConfig`'s defaults. A stage with
``average_last`` > 1 ends in ``<run-dir>/<stage name>/averaged.pt``, the mean of that
many of its newest checkpoints (see `legkit_train.averaging`): the next stage resumes
from that mean, and after the last stage it is the run's policy.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import torch

from legkit_train.averaging import average_checkpoints
from legkit_train.config import EnvConfig
from legkit_train.train import (
    PpoConfig,
    TrainConfig,
    Trainer,
    load_env_config,
    print_resumed,
)

_CHECKPOINT = re.compile(r"model_(\d+)\.pt")


@dataclass(frozen=True)
class Stage:
    """One stage of a recipe: what `python -m legkit_train.train` takes as flags."""

    name: str
    """Folder of the stage's checkpoints under the run directory."""
    iterations: int
    """Learning iterations of this stage (not counting those before it)."""
    env_config: Path | None = None
    """Environment config file; None trains on `EnvConfig`'s defaults."""
    num_envs: int = TrainConfig.num_envs
    """Environments stepped in parallel."""
    learning_rate: float = PpoConfig.learning_rate
    """Learning rate; replaces the one a resumed optimizer brings."""
    schedule: str = "fixed"
    """"fixed" or "adaptive" (see `PpoConfig.schedule`)."""
    entropy_coef: float = PpoConfig.entropy_coef
    """Weight of the entropy bonus."""
    save_interval: int = TrainConfig.save_interval
    """Iterations per checkpoint."""
    symmetry: bool = TrainConfig.symmetry
    """Train on each sample and its left-right mirror image (`TrainConfig.symmetry`)."""
    average_last: int = 1
    """Newest checkpoints of the stage averaged into its result; 1: its last checkpoint."""

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", self.name):
            raise ValueError(f"stage name {self.name!r}: use letters, digits, '_', '-', '.'")
        for key in ("iterations", "num_envs", "save_interval"):
            if not getattr(self, key) > 0:
                raise ValueError(f"stage {self.name}: {key} must be > 0")
        if not self.learning_rate > 0.0:
            raise ValueError(f"stage {self.name}: learning_rate must be > 0")
        if self.schedule not in ("fixed", "adaptive"):
            raise ValueError(f"stage {self.name}: schedule must be 'fixed' or 'adaptive'")
        if self.average_last < 1:
            raise ValueError(f"stage {self.name}: average_last must be >= 1")


@dataclass(frozen=True)
class Recipe:
    """Stages trained one after the other, each resuming the result of the one before."""

    stages: tuple[Stage, ...]
    seed: int = TrainConfig.seed
    """Seed of torch and of the environments (each stage reseeds with it)."""

    def __post_init__(self) -> None:
        if not self.stages:
            raise ValueError("a recipe needs at least one stage")
        names = [s.name for s in self.stages]
        if len(set(names)) != len(names):
            raise ValueError(f"stage names must differ, got {names}")
        for k, stage in enumerate(self.stages):
            saved = saved_iterations(self.end_iterations()[k] - stage.iterations, stage)
            if stage.average_last > len(saved):
                raise ValueError(
                    f"stage {stage.name}: average_last {stage.average_last}, but it saves only "
                    f"{len(saved)} checkpoints (every {stage.save_interval} iterations)"
                )

    def averaged_iterations(self, stage: int = -1) -> list[int]:
        """Iterations of the checkpoints that stage `stage` (default: the last, whose
        result is the policy) averages into its result; only its last when it averages none."""
        s = self.stages[stage]
        begin = self.end_iterations()[stage] - s.iterations
        return saved_iterations(begin, s)[-s.average_last :]

    def end_iterations(self) -> list[int]:
        """Iteration count at the end of each stage, counted from the first."""
        ends, total = [], 0
        for stage in self.stages:
            total += stage.iterations
            ends.append(total)
        return ends


def saved_iterations(begin: int, stage: Stage) -> list[int]:
    """Iterations at which `stage`, starting at `begin`, saves a checkpoint (as
    `Trainer.learn`: every multiple of its save interval, and its end)."""
    end = begin + stage.iterations
    every = stage.save_interval
    saved = list(range((begin // every + 1) * every, end + 1, every))
    return saved if saved and saved[-1] == end else [*saved, end]


def _from_mapping(cls: type, data: dict[str, Any], where: str) -> dict[str, Any]:
    """`data` checked against the fields of `cls`: ValueError naming an unknown key."""
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown}; known: {sorted(known)}")
    return dict(data)


def load_recipe(path: str | Path) -> Recipe:
    """A recipe from YAML; ValueError naming the file and what is wrong with it.

    Every stage's environment config is loaded too, so that a typo in the fifth stage
    fails before the first trains for an hour.
    """
    import yaml

    path = Path(path)
    data = yaml.safe_load(path.read_text()) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping with 'stages'")
    top = _from_mapping(Recipe, data, str(path))
    raw_stages = top.pop("stages", None)
    if not isinstance(raw_stages, list):
        raise ValueError(f"{path}: 'stages' must be a list of stages")
    stages = []
    for k, raw in enumerate(raw_stages):
        where = f"{path}: stage {k + 1}"
        if not isinstance(raw, dict):
            raise ValueError(f"{where}: expected a mapping")
        values = _from_mapping(Stage, raw, where)
        if values.get("env_config") is not None:
            env_path = (path.parent / values["env_config"]).resolve()
            if not env_path.is_file():
                raise ValueError(f"{where}: env_config {values['env_config']} not found")
            load_env_config(env_path)
            values["env_config"] = env_path
        try:
            stages.append(Stage(**values))
        except TypeError as err:  # a required key missing
            raise ValueError(f"{where}: {err}") from None
        except ValueError as err:  # the message names the stage
            raise ValueError(f"{path}: {err}") from None
    try:
        return Recipe(stages=tuple(stages), **top)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{path}: {err}") from None


def latest_checkpoint(folder: Path) -> tuple[int, Path] | None:
    """The checkpoint of the highest iteration in `folder`, or None."""
    found = [
        (int(m.group(1)), p)
        for p in folder.glob("model_*.pt")
        if (m := _CHECKPOINT.fullmatch(p.name))
    ]
    return max(found) if found else None


@dataclass(frozen=True)
class StagePlan:
    """Where one stage stands in a run directory, and what running it will do."""

    stage: Stage
    folder: Path
    start: int
    """Iteration the stage starts from (its latest checkpoint, or the stage before's end)."""
    end: int
    """Iteration it ends at."""
    resume: Path | None
    """Checkpoint it resumes from; None trains from scratch."""

    @property
    def done(self) -> bool:
        return self.start >= self.end

    @property
    def result(self) -> Path:
        """What the stage ends in: the mean of its newest checkpoints, or its last one."""
        if self.stage.average_last > 1:
            return self.folder / "averaged.pt"
        return self.folder / f"model_{self.end}.pt"


def plan(recipe: Recipe, run_dir: str | Path) -> list[StagePlan]:
    """What each stage will do in `run_dir`, from the checkpoints already there.

    ValueError when a stage's folder holds a checkpoint past the stage's end (the recipe
    changed under the run), or a later stage has begun while an earlier one is unfinished.
    """
    run_dir = Path(run_dir)
    plans: list[StagePlan] = []
    previous: Path | None = None
    begin = 0
    for stage, end in zip(recipe.stages, recipe.end_iterations(), strict=True):
        folder = run_dir / stage.name
        latest = latest_checkpoint(folder)
        if latest is not None and latest[0] > end:
            raise ValueError(
                f"{folder} has {latest[1].name}, past the stage's end at iteration {end}: "
                "the recipe changed since this run; use another --run-dir"
            )
        if latest is not None and latest[0] > begin:
            start, resume = latest
        else:
            start, resume = begin, previous
        if plans and not plans[-1].done and start > begin:
            raise ValueError(
                f"stage {stage.name} has begun but {plans[-1].stage.name} has not finished"
            )
        plans.append(StagePlan(stage, folder, start, end, resume))
        previous = plans[-1].result
        begin = end
    return plans


def describe(p: StagePlan) -> str:
    """One line saying what running the stage will do."""
    what = "from scratch" if p.resume is None else f"from {p.resume}"
    if p.done:
        return f"stage {p.stage.name}: done ({p.end:,} iterations)"
    return f"stage {p.stage.name}: iterations {p.start:,} -> {p.end:,} {what}"


def run_stage(p: StagePlan, seed: int, num_workers: int) -> Path:
    """Train one stage to its end; the path of its final checkpoint."""
    s = p.stage
    config = TrainConfig(
        num_envs=s.num_envs,
        num_workers=num_workers,
        iterations=p.end - p.start,
        save_interval=s.save_interval,
        seed=seed,
        symmetry=s.symmetry,
        ppo=PpoConfig(
            learning_rate=s.learning_rate, schedule=s.schedule, entropy_coef=s.entropy_coef
        ),
    )
    env_config = load_env_config(s.env_config) if s.env_config else EnvConfig()
    with Trainer(config, p.folder, env_config) as trainer:
        if p.resume is not None:
            changes = trainer.load(p.resume)
            print_resumed(str(p.resume), trainer.iteration, changes)
            if trainer.iteration != p.start:
                raise ValueError(
                    f"{p.resume} is at iteration {trainer.iteration}, the stage expected {p.start}"
                )
            trainer.set_learning_rate(s.learning_rate)
        trainer.learn(config.iterations)
    return p.folder / f"model_{p.end}.pt"


def run(recipe: Recipe, run_dir: str | Path, num_workers: int = TrainConfig.num_workers) -> Path:
    """Every unfinished stage of `recipe` in order; the final checkpoint of the last."""
    plans = plan(recipe, run_dir)
    for p in plans:
        print(describe(p), flush=True)
    for k, p in enumerate(plans):
        if not p.done:
            print(f"== {describe(p)}", flush=True)
            run_stage(p, recipe.seed, num_workers)
        # Written again when the stage was done before: a run stopped between the stage's
        # last checkpoint and its mean has none yet, and the mean is the same every time.
        if p.stage.average_last > 1:
            write_average(p, recipe.averaged_iterations(k))
    final = plans[-1].result
    print(f"final checkpoint: {final}")
    return final


def write_average(p: StagePlan, iterations: list[int]) -> Path:
    """The stage's ``averaged.pt``: the mean of its checkpoints at `iterations`."""
    paths = [p.folder / f"model_{i}.pt" for i in iterations]
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        raise ValueError(f"cannot average: missing {', '.join(missing)}")
    torch.save(average_checkpoints(paths), p.result)
    print(f"{p.result}: mean of iterations {', '.join(map(str, iterations))}")
    return p.result


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m legkit_train.recipe", description=__doc__.split("\n")[0]
    )
    p.add_argument(
        "recipe", type=Path, help="recipe YAML, e.g. training/recipes/quadruped_walk.yaml"
    )
    p.add_argument("--run-dir", required=True, help="output folder, e.g. runs/train/<name>")
    p.add_argument(
        "--num-workers", type=int, default=TrainConfig.num_workers, help="worker processes"
    )
    p.add_argument("--plan", action="store_true", help="print what each stage would do, and stop")
    args = p.parse_args(argv)
    recipe = load_recipe(args.recipe)
    if args.plan:
        for k, stage_plan in enumerate(plan(recipe, args.run_dir)):
            print(describe(stage_plan))
            if stage_plan.stage.average_last > 1:
                print(f"then: the mean of iterations {recipe.averaged_iterations(k)}")
        return
    run(recipe, args.run_dir, args.num_workers)


if __name__ == "__main__":
    main()
