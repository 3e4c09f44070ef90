"""Benchmark: the full stack in simulation, composed and as separate processes.

    .venv/bin/python bench/bench_stack.py [--duration 30]

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
    a = np.array(samples_s) * 1e6
    return f"p50 {np.percentile(a, 50):7.1f} us  p99 {np.percentile(a, 99):7.1f} us"


def micro() -> list[str]:
    lines = []
    policy = OnnxPolicy(resolve_model("quadruped_stand.onnx"), QUADRUPED)
    obs = np.zeros(policy.contract.observation_size, dtype=np.float32)
    times = []
    for _ in range(5000):
        t0 = time.perf_counter()
        policy.act(obs)
        times.append(time.perf_counter() - t0)
    lines.append(f"OnnxPolicy.act (standing policy)       {percentiles(times[500:])}")

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
    lines.append(f"SafetySupervisor.compute_torques       {percentiles(times[500:])}")

    with PybulletWorld(QUADRUPED) as world:
        times = []
        for _ in range(2000):
            t0 = time.perf_counter()
            world.step()
            world.state()
            world.imu()
            times.append(time.perf_counter() - t0)
    lines.append(f"PybulletWorld step+state+imu           {percentiles(times[200:])}")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=30.0, help="simulated seconds per mode")
    args = ap.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.platform()}"
    )
    print(
        f"profile: {QUADRUPED.name}, physics/PID {QUADRUPED.physics_rate_hz:.0f} Hz, "
        f"policy {QUADRUPED.control_rate_hz:.0f} Hz, {args.duration:.0f} s simulated per mode\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        results = {
            mode: run_stack(mode, args.duration, Path(tmp)) for mode in ("composed", "processes")
        }
    print(f"{'':42s} {'in-process':>12s} {'processes':>12s}")
    for _, _, label in TIMING_FIGURES:
        values = []
        for mode in ("composed", "processes"):
            value = results[mode]["timing"].get(label)
            values.append(f"{value:12.3f}" if isinstance(value, float) else f"{'-':>12s}")
        print(f"{label:42s} {values[0]} {values[1]}")
    for mode in ("composed", "processes"):
        r = results[mode]
        print(
            f"\n{mode}: real-time factor {r['real_time_factor']:.2f}, falls {r['falls']}, "
            f"CPU % (100 = one core): "
            + ", ".join(f"{n} {p:.0f}" for n, p in r["cpu_percent"].items())
        )
    print("\ncore calls on the hot path:")
    for line in micro():
        print("  " + line)


if __name__ == "__main__":
    main()
