"""Evaluate an ONNX walking policy: in the training environment and through the ROS 2 graph.

Usage::

    python -m legkit_train.evaluate models/quadruped_walk.onnx            # env only
    python -m legkit_train.evaluate models/quadruped_walk.onnx --ros      # and the graph
    python -m legkit_train.evaluate models/quadruped_walk.onnx --seeds 0 100 200 300

Both sides run the exported ONNX file with onnxruntime, as deployment does, over the
fixed command set of `legkit.evaluation` (each command held 5 s, 20 s episodes), and
are scored by the same function: horizontal-velocity tracking RMSE, yaw-rate RMSE,
fall rate and cost of transport. In the env a fall is its termination: the base touching
the ground or a tilt > 1 rad (`EnvConfig.termination_contact`, `termination_tilt`); in
the graph, the base below the profile's fall height or past its fall tilt.

- **env, randomized**: every domain-randomization term on, pushes included: the
  robustness number of the model card.
  With `--seeds`, one row per seed set and a row pooling every episode: falls are rare
  enough that ranking two policies by them takes a few hundred episodes.
- **env, nominal**: the nominal robot, no noise, latency or pushes. Deterministic, so
  it runs once whatever the seeds.
- **ROS graph**: the same commands through `legkit-sim` (sim bridge, controller,
  observation, policy and command-source nodes over DDS), on the nominal robot, one
  continuous run after the stand-up. Compared with *env, nominal*, it is the
  deployment-fidelity figure: what the graph's timing and plumbing cost.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from legkit.evaluation import (
    CommandSegment,
    Score,
    Trace,
    command_at,
    evaluation_schedule,
    score,
    urdf_mass,
)
from legkit.metrics import is_fallen
from legkit.paths import resolve_model
from legkit.policy import OnnxPolicy
from legkit.robots import get_profile
from legkit.robots.profile import RobotProfile
from legkit_train.config import CommandRanges, Curriculum, EnvConfig, Randomization
from legkit_train.env import QuadrupedWalkEnv

EPISODE_S = 20.0
"""Length of one evaluation episode [s]."""
ROS_LEAD_S = 5.0
"""Zero command at the start of the ROS run while the robot stands up [s]."""


def max_command(ranges: CommandRanges, scale: float = 1.0) -> tuple[float, float, float]:
    """Largest |vx|, |vy|, |yaw rate| of trained command ranges, times `scale`."""
    if not 0.0 < scale <= 1.0:
        raise ValueError(f"command scale must be in (0, 1], got {scale}")
    return tuple(  # type: ignore[return-value]
        scale * max(abs(lo), abs(hi)) for lo, hi in (ranges.vx, ranges.vy, ranges.yaw_rate)
    )


def evaluation_env_config(
    randomized: bool, episode_s: float = EPISODE_S, history_length: int = 1
) -> EnvConfig:
    """The training env set up for scoring: full command ranges, commands held, as scripted.

    `history_length` is the policy contract's: the env stacks as many frames as it reads.
    """
    base = EnvConfig()
    return dataclasses.replace(
        base,
        history_length=history_length,
        randomization=base.randomization if randomized else Randomization.none(),
        curriculum=Curriculum(enabled=False),
        # Longer than an episode: the evaluation sets every command itself.
        commands=dataclasses.replace(base.commands, resample_period_s=2.0 * episode_s),
        episode_length_s=episode_s,
    )


def run_env_episode(
    env: QuadrupedWalkEnv, policy: OnnxPolicy, segments: list[CommandSegment], seed: int
) -> Trace:
    """One episode of `segments`; stops at a fall (termination)."""
    dt = env.contract.control_period
    obs, _ = env.reset(seed=seed, options={"command": command_at(segments, 0.0)})
    t, cmd, vel, power, pos = [], [], [], [], []
    fell, step = False, 0
    while True:
        env.set_command(command_at(segments, step * dt))
        obs, _, terminated, truncated, info = env.step(policy.act(obs))
        step += 1
        t.append(step * dt)
        cmd.append(env.command.copy())
        vel.append(info["base_velocity"])
        power.append(info["joint_power"])
        pos.append(env.world.state().base_position)
        if terminated or truncated:
            fell = bool(terminated)
            break
    return Trace(np.array(t), np.array(cmd), np.array(vel), np.array(power), np.array(pos), fell)


def evaluate_env(
    policy_path: str | Path,
    episodes: int = 10,
    randomized: bool = True,
    seed: int = 0,
    episode_s: float = EPISODE_S,
    command_scale: float = 1.0,
) -> tuple[Score, list[Trace]]:
    """Score `policy_path` in the training environment over `episodes` fixed episodes.

    `command_scale` shrinks the evaluation commands (1 = the full trained ranges).
    """
    policy = OnnxPolicy(resolve_model(policy_path))
    profile = get_profile(policy.contract.robot)
    config = evaluation_env_config(randomized, episode_s, policy.contract.history_length)
    env = QuadrupedWalkEnv(config, profile)
    try:
        schedule = evaluation_schedule(
            max_command(config.commands, command_scale), episodes, episode_s
        )
        traces = [
            run_env_episode(env, policy, segments, seed + k) for k, segments in enumerate(schedule)
        ]
    finally:
        env.close()
    return score(traces, urdf_mass(profile.urdf)), traces


def evaluate_seed_sets(
    policy_path: str | Path,
    seeds: list[int],
    episodes: int = 10,
    episode_s: float = EPISODE_S,
    command_scale: float = 1.0,
) -> dict[str, Score]:
    """Randomized scores of `episodes` episodes from each seed in `seeds`.

    One row per seed, and, for several seeds, one row scoring all their episodes
    together. Seeds closer together than `episodes` share episodes, which would count
    them twice: refused.
    """
    if not seeds:
        raise ValueError("no seeds given")
    ordered = sorted(seeds)
    for a, b in zip(ordered, ordered[1:], strict=False):
        if b - a < episodes:
            raise ValueError(
                f"seeds {a} and {b} share episodes: seed s runs episodes s..s+{episodes - 1}, "
                f"so seeds must be at least --episodes ({episodes}) apart"
            )
    robot = OnnxPolicy(resolve_model(policy_path)).contract.robot
    rows: dict[str, Score] = {}
    traces: list[Trace] = []
    for seed in seeds:
        rows[f"env, randomized + pushes, seed {seed}"], seed_traces = evaluate_env(
            policy_path, episodes, True, seed, episode_s, command_scale
        )
        traces += seed_traces
    if len(seeds) > 1:
        mass = urdf_mass(get_profile(robot).urdf)
        rows[f"env, randomized + pushes, {len(seeds)} seed sets pooled"] = score(traces, mass)
    return rows


def ros_command_profile(segments: list[CommandSegment], lead_s: float) -> dict[str, list[float]]:
    """command_source parameters: zero for `lead_s`, then `segments` back to back, then zero."""
    times, vx, vy, wz = [0.0], [0.0], [0.0], [0.0]
    t = lead_s
    for seg in segments:
        times.append(t)
        vx.append(seg.vx)
        vy.append(seg.vy)
        wz.append(seg.yaw_rate)
        t += seg.duration_s
    times.append(t)
    vx.append(0.0)
    vy.append(0.0)
    wz.append(0.0)
    return {"times": times, "vx": vx, "vy": vy, "yaw_rate": wz}


def trace_from_recording(
    rec: dict[str, np.ndarray], profile: RobotProfile, start_s: float, end_s: float
) -> Trace:
    """The scored part of a `legkit-sim` recording: [start_s, end_s) in sim time.

    The trace ends at the first sample where the robot has fallen (profile thresholds)
    or the controller has left ACTIVE (it damps on a detected fall or a fault).
    """
    t = rec["t"]
    window = (t >= start_s) & (t < end_s)
    idx = np.flatnonzero(window)
    fell = False
    keep = len(idx)
    for n, i in enumerate(idx):
        fallen = is_fallen(profile, rec["base_pos"][i, 2], rec["base_quat"][i])
        if fallen or rec["mode"][i] != "ACTIVE":
            fell, keep = True, n
            break
    idx = idx[:keep]
    return Trace(
        t[idx],
        rec["cmd"][idx],
        rec["vel"][idx],
        rec["joint_power"][idx],
        rec["base_pos"][idx],
        fell,
    )


def evaluate_ros(
    policy_path: str | Path,
    episodes: int = 10,
    episode_s: float = EPISODE_S,
    processes: bool = True,
    out: Path | None = None,
    real_time_factor: float = 1.0,
    command_scale: float = 1.0,
    rehearsal: bool = False,
) -> tuple[Score, Path]:
    """Score `policy_path` through the ROS 2 graph: one `legkit-sim` run of every episode.

    With `rehearsal` the robot is driven through the hardware bridge and emulated CAN
    motors (`legkit-sim --rehearsal`) instead of the sim bridge.

    Returns the score and the run folder (summary, plot, raw recording). A
    `real_time_factor` below 1 runs the simulation slower than real time, for machines
    that cannot keep the graph's loops on time (the scores are in simulated time).
    """
    policy_path = resolve_model(policy_path)
    contract = OnnxPolicy(policy_path).contract
    profile = get_profile(contract.robot)
    segments = [
        seg
        for episode in evaluation_schedule(
            max_command(EnvConfig().commands, command_scale), episodes, episode_s
        )
        for seg in episode
    ]
    profile_params = ros_command_profile(segments, ROS_LEAD_S)
    end_s = profile_params["times"][-1]
    out = out if out is not None else Path(tempfile.mkdtemp(prefix="legkit-eval-"))
    cmd = [
        sys.executable,
        "-m",
        "legkit_ros.bringup",
        "--robot",
        profile.name,
        "--policy",
        str(policy_path),
        "--duration",
        f"{end_s + 0.5:.2f}",
        "--real-time-factor",
        str(real_time_factor),
        "--no-gif",
        "--out",
        str(out),
    ]
    if processes:
        cmd.append("--processes")
    if rehearsal:
        cmd.append("--rehearsal")
    # Profile times in sim time, so the scored window below is the one commanded.
    cmd += ["--param", "command_source.from_clock_zero:=true"]
    for name, values in profile_params.items():
        cmd += ["--param", f"command_source.{name}:={json.dumps(values)}"]
    env = dict(os.environ)
    env.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    result = subprocess.run(cmd, capture_output=True, text=True, env=env)
    runs = sorted(p for p in out.iterdir() if (p / "recording.npz").exists())
    if result.returncode != 0 or not runs:
        raise RuntimeError(
            f"legkit-sim failed (exit {result.returncode}):\n{result.stderr[-3000:]}"
        )
    rec = dict(np.load(runs[-1] / "recording.npz"))
    trace = trace_from_recording(rec, profile, ROS_LEAD_S, end_s)
    return score([trace], urdf_mass(profile.urdf)), runs[-1]


def format_table(rows: dict[str, Score]) -> str:
    """A Markdown table of scores, one row per setting."""
    lines = [
        "| setting | lin. vel. RMSE [m/s] | yaw rate RMSE [rad/s] | falls | cost of transport |",
        "|---|---|---|---|---|",
    ]
    for name, s in rows.items():
        lines.append(
            f"| {name} | {s.lin_vel_rmse:.3f} | {s.yaw_rate_rmse:.3f} | "
            f"{s.falls}/{s.episodes} | {s.cost_of_transport:.2f} |"
        )
    return "\n".join(lines)


def relative_gap(ros: float, env: float) -> float:
    """(ros - env) / env: + means the graph does worse; NaN when env is 0 or NaN."""
    return (ros - env) / env if env and math.isfinite(env) else math.nan


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m legkit_train.evaluate", description=__doc__.split("\n")[0]
    )
    p.add_argument("policy", help="ONNX policy (path, or a file name in models/)")
    p.add_argument("--episodes", type=int, default=10, help="20 s episodes per setting")
    p.add_argument("--episode-s", type=float, default=EPISODE_S, help="episode length [s]")
    seeds = p.add_mutually_exclusive_group()
    seeds.add_argument("--seed", type=int, default=0, help="seed of the randomized episodes")
    seeds.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        help="several randomized seed sets, e.g. 0 100 200: a row each and one pooled",
    )
    p.add_argument("--ros", action="store_true", help="also run it through the ROS 2 graph")
    p.add_argument("--ros-episodes", type=int, help="episodes of the ROS run (default: --episodes)")
    p.add_argument(
        "--composed", action="store_true", help="ROS nodes in one process (default: one each)"
    )
    p.add_argument(
        "--real-time-factor",
        type=float,
        default=1.0,
        help="ROS run speed; below 1 on a loaded machine (scores are in sim time)",
    )
    p.add_argument(
        "--command-scale",
        type=float,
        default=1.0,
        help="fraction of the trained command ranges to ask for (default 1: all of them)",
    )
    p.add_argument(
        "--rehearsal",
        action="store_true",
        help="also run the ROS graph on the real-driver path: hardware bridge, MIT frames on "
        "virtual CAN, emulated motors (implies --ros; slow: use --real-time-factor 0.25)",
    )
    p.add_argument("--json", type=Path, help="also write the scores to this JSON file")
    args = p.parse_args(argv)
    try:
        if args.seeds:
            rows = evaluate_seed_sets(
                args.policy, args.seeds, args.episodes, args.episode_s, args.command_scale
            )
        else:
            rows = {
                "env, randomized + pushes": evaluate_env(
                    args.policy, args.episodes, True, args.seed, args.episode_s, args.command_scale
                )[0]
            }
        rows["env, nominal"] = evaluate_env(
            args.policy, args.episodes, False, 0, args.episode_s, args.command_scale
        )[0]
        if args.ros:
            ros_score, run_dir = evaluate_ros(
                args.policy,
                args.ros_episodes or args.episodes,
                args.episode_s,
                processes=not args.composed,
                real_time_factor=args.real_time_factor,
                command_scale=args.command_scale,
            )
            rows["ROS graph, nominal"] = ros_score
        if args.rehearsal:
            rows["ROS graph on emulated CAN motors"], rehearsal_dir = evaluate_ros(
                args.policy,
                args.ros_episodes or args.episodes,
                args.episode_s,
                real_time_factor=args.real_time_factor,
                command_scale=args.command_scale,
                rehearsal=True,
            )
            print(f"rehearsal run folder: {rehearsal_dir}", file=sys.stderr)
    except (OSError, ValueError, RuntimeError) as err:
        print(f"evaluate: {err}", file=sys.stderr)
        return 1
    print(format_table(rows))
    if args.ros:
        env, ros = rows["env, nominal"], rows["ROS graph, nominal"]
        print(
            f"ROS graph vs env (nominal): lin. vel. RMSE "
            f"{relative_gap(ros.lin_vel_rmse, env.lin_vel_rmse):+.0%}, yaw rate RMSE "
            f"{relative_gap(ros.yaw_rate_rmse, env.yaw_rate_rmse):+.0%} "
            f"(run folder {run_dir})"
        )
    if args.json:
        args.json.write_text(json.dumps({k: v.as_dict() for k, v in rows.items()}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
