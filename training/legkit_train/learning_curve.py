"""Score a series of training checkpoints: how tracking improves with steps and time.

Usage::

    python -m legkit_train.learning_curve runs/train/walk/model_{500,1000,1500}.pt

Each checkpoint is exported to ONNX in a temporary folder and scored in the nominal
training environment (`legkit_train.evaluate`); one Markdown row per checkpoint: the
iteration, environment steps, training wall-clock (when the checkpoint records it),
tracking errors and falls. This is where a model card's "time to reach the target"
comes from.
"""

from __future__ import annotations

import argparse
import math
import tempfile
from pathlib import Path

from legkit_train.evaluate import evaluate_env
from legkit_train.export import export, load_checkpoint, training_steps


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m legkit_train.learning_curve", description=__doc__.split("\n")[0]
    )
    p.add_argument("checkpoints", nargs="+", type=Path, help="model_<iteration>.pt files")
    p.add_argument("--episodes", type=int, default=5, help="20 s nominal episodes each")
    args = p.parse_args(argv)
    print(
        "| iteration | env steps | training time [min] | lin. vel. RMSE [m/s] "
        "| yaw rate RMSE [rad/s] | falls |"
    )
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for checkpoint in args.checkpoints:
            state = load_checkpoint(checkpoint)
            onnx = Path(tmp) / f"{checkpoint.stem}.onnx"
            export(checkpoint, onnx)
            score, _ = evaluate_env(onnx, args.episodes, randomized=False)
            minutes = float(state.get("train_seconds", math.nan)) / 60.0
            print(
                f"| {state['iteration']} | {training_steps(state):,} | {minutes:.0f} | "
                f"{score.lin_vel_rmse:.3f} | {score.yaw_rate_rmse:.3f} | "
                f"{score.falls}/{score.episodes} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
