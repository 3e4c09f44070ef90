"""Turns a run's Recording into the printed summary, summary.json, plot.png and robot.gif."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from legkit.metrics import count_falls, is_fallen, rmse
from legkit.robots.profile import RobotProfile
from legkit_ros.run_monitor import Recording

SETTLE_AFTER_ACTIVE = 1.0
"""Seconds after entering ACTIVE before tracking is scored (the policy takes over)."""

# Which diagnostics figure of which node goes into the summary (and the benchmark).
TIMING_FIGURES = [
    ("/sim_bridge", "rate_hz", "sim bridge physics rate [Hz]"),
    ("/sim_bridge", "missed_deadlines", "sim bridge missed deadlines"),
    ("/controller", "rate_hz", "controller rate [Hz]"),
    ("/controller", "cycles", "controller cycles"),
    ("/controller", "missed_deadlines", "controller missed deadlines (> 1.5 periods)"),
    ("/controller", "compute_p99_ms", "controller compute p99 [ms]"),
    ("/observation", "rate_hz", "observation rate [Hz]"),
    ("/observation", "period_mean_ms", "observation period mean [ms]"),
    ("/observation", "period_error_mean_ms", "observation period error mean [ms]"),
    ("/observation", "period_error_p99_ms", "observation period error p99 [ms]"),
    ("/policy", "inference_p50_ms", "policy inference p50 [ms]"),
    ("/policy", "inference_p99_ms", "policy inference p99 [ms]"),
    ("/sim_bridge", "state_to_effort_p50_ms", "joint_state -> effort p50 [ms]"),
    ("/sim_bridge", "state_to_effort_p99_ms", "joint_state -> effort p99 [ms]"),
]


def timing_figures(diagnostics: dict[str, dict[str, float | str]]) -> dict[str, float]:
    """The TIMING_FIGURES found in the nodes' latest diagnostics, by label."""
    timing = {}
    for node, key, label in TIMING_FIGURES:
        value = diagnostics.get(node, {}).get(key)
        if isinstance(value, float):
            timing[label] = value
    return timing


def summarize(profile: RobotProfile, rec: Recording, wall_s: float, mode: str) -> dict:
    a = rec.arrays()
    t = a["t"]
    summary: dict = {
        "robot": profile.name,
        "mode": mode,
        "sim_time_s": float(t[-1]) if t.size else 0.0,
        "wall_time_s": wall_s,
        "transitions": [{"t": round(tt, 3), "mode": m} for tt, m in rec.transitions],
        "final_mode": rec.mode[-1] if rec.mode else "UNKNOWN",
    }
    # Over the simulated part only, not the start-up of the processes.
    summary["real_time_factor"] = rec.real_time_factor()
    summary["timing"] = timing_figures(rec.diagnostics)
    summary["cpu_percent"] = dict(rec.cpu_percent)
    summary["diagnostics"] = rec.diagnostics  # every node's last raw figures

    active = a["mode"] == "ACTIVE"
    if active.any():
        t_active = t[np.argmax(active)]
        scored = active & (t >= t_active + SETTLE_AFTER_ACTIVE)
    else:
        scored = active
    cmd, vel = a["cmd"][scored], a["vel"][scored]
    heights = a["base_pos"][:, 2]
    summary["tracking"] = {
        "samples": int(scored.sum()),
        "vx_rmse": rmse(cmd[:, 0], vel[:, 0]),
        "vy_rmse": rmse(cmd[:, 1], vel[:, 1]),
        "yaw_rate_rmse": rmse(cmd[:, 2], vel[:, 2]),
        "mean_cmd": cmd.mean(axis=0).tolist() if len(cmd) else [],
        "mean_achieved": vel.mean(axis=0).tolist() if len(vel) else [],
    }
    # Falls only count once the robot has stood up: it starts lying on its belly (and on
    # hardware, the controller holds DAMPING until the bridge is active).
    upright_phase = t >= t[np.argmax(active)] if active.any() else np.zeros(len(t), dtype=bool)
    fallen = np.array(
        [is_fallen(profile, h, q) for h, q in zip(heights, a["base_quat"], strict=True)], dtype=bool
    )
    summary["base_height"] = {
        "mean_active": float(heights[active].mean()) if active.any() else float("nan"),
        "min_active": float(heights[active].min()) if active.any() else float("nan"),
        "std_active": float(heights[active].std()) if active.any() else float("nan"),
        "nominal": profile.nominal_base_height,
    }
    summary["falls"] = count_falls(fallen[upright_phase])
    return summary


def format_summary(s: dict) -> str:
    lines = [
        f"legkit run: robot={s['robot']} nodes={s['mode']} sim {s['sim_time_s']:.1f} s, "
        f"{s['wall_time_s']:.1f} s wall in all, real-time factor {s['real_time_factor']:.2f}",
        "controller modes: " + " -> ".join(f"{x['mode']}@{x['t']:.2f}s" for x in s["transitions"]),
        "loop timing:",
    ]
    lines += [f"  {label:42s} {value:9.3f}" for label, value in s["timing"].items()]
    if s["cpu_percent"]:
        lines.append(
            "CPU % (100 = one core): "
            + ", ".join(f"{name} {pct:.0f}" for name, pct in s["cpu_percent"].items())
        )
    tr = s["tracking"]
    lines.append(f"velocity tracking over {tr['samples']} samples in ACTIVE:")
    if tr["samples"]:
        lines.append(
            f"  mean command  vx={tr['mean_cmd'][0]:+.3f} vy={tr['mean_cmd'][1]:+.3f} "
            f"yaw={tr['mean_cmd'][2]:+.3f}"
        )
        lines.append(
            f"  mean achieved vx={tr['mean_achieved'][0]:+.3f} vy={tr['mean_achieved'][1]:+.3f} "
            f"yaw={tr['mean_achieved'][2]:+.3f}"
        )
        lines.append(
            f"  RMSE vx={tr['vx_rmse']:.3f} m/s vy={tr['vy_rmse']:.3f} m/s "
            f"yaw rate={tr['yaw_rate_rmse']:.3f} rad/s"
        )
    bh = s["base_height"]
    lines.append(
        f"base height in ACTIVE: mean {bh['mean_active']:.3f} m, min {bh['min_active']:.3f} m, "
        f"std {bh['std_active']:.4f} m (nominal {bh['nominal']:.2f} m)"
    )
    lines.append(f"falls: {s['falls']}")
    return "\n".join(lines)


def write_run_folder(
    out: Path, profile: RobotProfile, rec: Recording, summary: dict, gif: bool = True
) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "summary.json", out / "summary.txt", out / "recording.npz"]
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=json_default))
    # The raw series, for scoring the run afterwards (legkit_train.evaluate reads it).
    np.savez_compressed(out / "recording.npz", **rec.arrays())
    (out / "summary.txt").write_text(format_summary(summary) + "\n")
    written.append(plot(rec, out / "plot.png"))
    if gif and rec.t:
        from legkit.sim.replay import render_replay

        written.append(
            render_replay(profile, replay_samples(rec, fps=10), out / "robot.gif", fps=10)
        )
    return written


def replay_samples(rec: Recording, fps: float) -> list:
    """Poses at `fps` for the GIF, picked from the odometry-rate recording."""
    samples, next_t = [], 0.0
    for t, p, q, j in zip(rec.t, rec.base_pos, rec.base_quat, rec.joint_pos, strict=True):
        if t >= next_t:
            samples.append((p, q, j))
            next_t = t + 1.0 / fps
    return samples


def plot(rec: Recording, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    a = rec.arrays()
    t = a["t"]
    fig, axes = plt.subplots(4, 1, figsize=(9, 9), sharex=True)
    labels = [("vx [m/s]", 0), ("vy [m/s]", 1), ("yaw rate [rad/s]", 2)]
    for ax, (label, i) in zip(axes, labels, strict=False):
        ax.plot(t, a["cmd"][:, i], "k--", label="command")
        ax.plot(t, a["vel"][:, i], "tab:blue", label="achieved")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[0].legend(loc="upper right")
    axes[3].plot(t, a["base_pos"][:, 2], "tab:green")
    axes[3].set_ylabel("base height [m]")
    axes[3].set_xlabel("sim time [s]")
    axes[3].grid(alpha=0.3)
    for tt, mode in rec.transitions:
        for ax in axes:
            ax.axvline(tt, color="tab:red", alpha=0.3, lw=0.8)
        axes[3].annotate(
            mode, (tt, axes[3].get_ylim()[1]), fontsize=7, color="tab:red", va="top", rotation=90
        )
    fig.suptitle("legkit run: command vs achieved (ground truth)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def json_default(x):
    if isinstance(x, (np.floating, np.integer)):
        return x.item()
    raise TypeError(type(x))
