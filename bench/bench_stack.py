"""Benchmark: the full stack in simulation, composed and as separate processes.

    .venv/bin/python bench/bench_stack.py [--duration 30] [--json figures.json]

Prints, for each mode: observation period mean and p99 error, policy inference
p50/p99, /joint_states stamp -> effort command latency p50/p99 (measured by the
sim bridge, which matches each command to the state it was computed from), the PID
loop rate and missed deadlines, and CPU % per node; then micro-benchmarks of the
core calls on the hot path. Figures only: nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from legkit.control import SafetySupervisor, SupervisorConfig
from legkit.paths import resolve_model
from legkit.policy import OnnxPolicy
from legkit.robots import QUADRUPED
from legkit.sim import PybulletWorld
from legkit_ros.run_report import TIMING_FIGURES

MODES = ("composed", "processes")  # all nodes in one process, and one process per node


def run_stack(mode: str, duration: float, out: Path) -> dict:
    """Run legkit-sim in `mode` and return its summary.json plus the raw diagnostics."""
    cmd = [
        sys.executable,
        "-m",
        "legkit_ros.bringup",
        "--duration",
        str(duration),
        "--no-gif",
        "--out",
        str(out / mode),
    ]
    if mode == "processes":
        cmd.append("--processes")
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    (run_dir,) = (out / mode).iterdir()
    return json.loads((run_dir / "summary.json").read_text())


def percentiles(samples_s: list[float]) -> str:
    p50, p99 = percentiles_us(samples_s)
    return f"p50 {p50:7.1f} us  p99 {p99:7.1f} us"


def percentiles_us(samples_s: list[float]) -> tuple[float, float]:
    a = np.array(samples_s) * 1e6
    return float(np.percentile(a, 50)), float(np.percentile(a, 99))


def micro() -> dict[str, list[float]]:
    """Seconds per call of each core call on the hot path, the warm-up calls left out."""
    timings = {}
    policy = OnnxPolicy(resolve_model("quadruped_stand.onnx"), QUADRUPED)
    obs = np.zeros(policy.contract.observation_size, dtype=np.float32)
    times = []
    for _ in range(5000):
        t0 = time.perf_counter()
        policy.act(obs)
        times.append(time.perf_counter() - t0)
    timings["OnnxPolicy.act (standing policy)"] = times[500:]

    sup = SafetySupervisor(
        QUADRUPED,
        SupervisorConfig.for_profile(QUADRUPED, state_period=0.004, target_period=0.02),
        log=lambda _: None,
    )
    q, qd = QUADRUPED.default_positions, np.zeros(QUADRUPED.num_joints)
    times, t = [], 0.0
    for k in range(5000):
        t += 0.004
        sup.on_joint_state(t, q, qd)
        if k % 5 == 0:
            sup.on_target(t, q)
        t0 = time.perf_counter()
        sup.compute_torques(t, 0.004)
        times.append(time.perf_counter() - t0)
    timings["SafetySupervisor.compute_torques"] = times[500:]

    with PybulletWorld(QUADRUPED) as world:
        times = []
        for _ in range(2000):
            t0 = time.perf_counter()
            world.step()
            world.state()
            world.imu()
            times.append(time.perf_counter() - t0)
    timings["PybulletWorld step+state+imu"] = times[200:]
    return timings


def stack_figures(results: dict[str, dict]) -> dict[str, float]:
    """Labelled figures of each mode's summary.json: timing, real-time factor, falls, CPU %."""
    figures: dict[str, float] = {}
    for mode in MODES:
        r = results[mode]
        for label, value in r["timing"].items():
            figures[f"{mode}: {label}"] = value
        figures[f"{mode}: real-time factor"] = r["real_time_factor"]
        figures[f"{mode}: falls"] = float(r["falls"])
        for node, pct in r["cpu_percent"].items():
            figures[f"{mode}: CPU {node} [% of one core]"] = pct
    return figures


def micro_figures(timings: dict[str, list[float]]) -> dict[str, float]:
    figures: dict[str, float] = {}
    for name, times in timings.items():
        p50, p99 = percentiles_us(times)
        figures[f"{name} p50 [us]"] = p50
        figures[f"{name} p99 [us]"] = p99
    return figures


def run(duration: float = 30.0) -> dict[str, float]:
    """Print both modes side by side and the micro-benchmarks; return them as labelled figures."""
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.platform()}"
    )
    print(
        f"profile: {QUADRUPED.name}, physics/PID {QUADRUPED.physics_rate_hz:.0f} Hz, "
        f"policy {QUADRUPED.control_rate_hz:.0f} Hz, {duration:.0f} s simulated per mode\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        results = {mode: run_stack(mode, duration, Path(tmp)) for mode in MODES}
    print(f"{'':42s} {'in-process':>12s} {'processes':>12s}")
    for _, _, label in TIMING_FIGURES:
        values = []
        for mode in MODES:
            value = results[mode]["timing"].get(label)
            values.append(f"{value:12.3f}" if isinstance(value, float) else f"{'-':>12s}")
        print(f"{label:42s} {values[0]} {values[1]}")
    for mode in MODES:
        r = results[mode]
        print(
            f"\n{mode}: real-time factor {r['real_time_factor']:.2f}, falls {r['falls']}, "
            f"CPU % (100 = one core): "
            + ", ".join(f"{n} {p:.0f}" for n, p in r["cpu_percent"].items())
        )
    print("\ncore calls on the hot path:")
    timings = micro()
    for name, times in timings.items():
        print(f"  {name:38s} {percentiles(times)}")
    return stack_figures(results) | micro_figures(timings)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=30.0, help="simulated seconds per mode")
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = ap.parse_args()
    figures = run(args.duration)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
