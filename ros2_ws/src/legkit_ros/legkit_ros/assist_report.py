"""The exoskeleton's run record: what the wearer and the device did while the graph ran.

The quadruped's run is scored on its base (odometry); an assistance run is scored on the
wearer. `AssistMonitor` samples the simulator's ground truth of the wearer
(/wearer/joint_states: joint angles, rates and muscle torques) together with the
device's /joint_states (delivered torque) and the controller's mode, and
`summarize_assist` turns that into the run summary: hip muscle effort while assisted,
the device's peak torque and positive power, and the loop timing figures.

The figures are sampled at the wearer topic's rate, so they estimate what
`legkit_train.exo_evaluate` integrates exactly at the physics rate; use that for the
assist-on versus zero-torque comparison.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.node import Node
from rosgraph_msgs.msg import Clock as ClockMsg
from sensor_msgs.msg import JointState
from std_msgs.msg import String

from legkit.robots.joint_map import JointMap, JointNameError
from legkit.robots.profile import RobotProfile
from legkit.wearer.gait import WEARER_JOINTS
from legkit_ros import ros_io, topics
from legkit_ros.latest import LatestMessage
from legkit_ros.run_report import json_default, timing_figures

HIPS = [WEARER_JOINTS.index(name) for name in ("wearer_L_hip", "wearer_R_hip")]
ASSIST_MODE = "ASSIST"
SETTLE_AFTER_START = 2.5
"""Seconds after the first sample before effort is scored: the assistance's ramp-in
(2 s) and low-pass filter must be through."""


@dataclass
class AssistRecording:
    """Samples of one assistance run, at the wearer topic's rate, in sim time."""

    t: list[float] = field(default_factory=list)
    wearer_pos: list[np.ndarray] = field(default_factory=list)  # WEARER_JOINTS order [rad]
    wearer_vel: list[np.ndarray] = field(default_factory=list)  # [rad/s]
    muscle: list[np.ndarray] = field(default_factory=list)  # muscle torques [N m]
    device_torque: list[np.ndarray] = field(default_factory=list)  # delivered, profile order
    device_vel: list[np.ndarray] = field(default_factory=list)  # actuator speeds [rad/s]
    mode: list[str] = field(default_factory=list)
    transitions: list[tuple[float, str]] = field(default_factory=list)
    diagnostics: dict[str, dict[str, float | str]] = field(default_factory=dict)
    wall: list[float] = field(default_factory=list)
    cpu_percent: dict[str, float] = field(default_factory=dict)

    def real_time_factor(self) -> float:
        if len(self.t) < 2 or self.wall[-1] <= self.wall[0]:
            return 0.0
        return (self.t[-1] - self.t[0]) / (self.wall[-1] - self.wall[0])

    def arrays(self) -> dict[str, np.ndarray]:
        n = len(self.t)
        return {
            "t": np.array(self.t),
            "wearer_pos": np.array(self.wearer_pos).reshape(n, -1),
            "wearer_vel": np.array(self.wearer_vel).reshape(n, -1),
            "muscle": np.array(self.muscle).reshape(n, -1),
            "device_torque": np.array(self.device_torque).reshape(n, -1),
            "device_vel": np.array(self.device_vel).reshape(n, -1),
            "mode": np.array(self.mode),
        }


class AssistMonitor(Node):
    """Records an exoskeleton run from public topics (the bringup's `RunMonitor` for it)."""

    def __init__(self, profile: RobotProfile, **kwargs) -> None:
        super().__init__("run_monitor", **kwargs)
        self.rec = AssistRecording()
        self.profile = profile
        self.wearer_map = JointMap(WEARER_JOINTS)
        self.device_map = JointMap(profile.joint_names)
        self.mode = "UNKNOWN"
        self.sim_time = 0.0
        zeros = np.zeros(profile.num_joints)
        self.device = (zeros, zeros)
        self.create_subscription(
            JointState, topics.WEARER_STATES, self.on_wearer, topics.RECORD_QOS
        )
        self.joint_states = LatestMessage(self, JointState, topics.JOINT_STATES, topics.CONTROL_QOS)
        self.clock = LatestMessage(self, ClockMsg, topics.CLOCK, topics.CONTROL_QOS)
        self.create_subscription(
            String, topics.CONTROLLER_STATE, self.on_mode, topics.MODE_WATCH_QOS
        )
        self.create_subscription(DiagnosticArray, topics.DIAGNOSTICS, self.on_diag, 50)

    def on_mode(self, msg: String) -> None:
        clock = self.clock.take()
        t = ros_io.stamp_to_sec(clock.clock) if clock is not None else self.sim_time
        if msg.data != self.mode:
            self.mode = msg.data
            self.rec.transitions.append((t, msg.data))

    def on_diag(self, msg: DiagnosticArray) -> None:
        for status in msg.status:
            self.rec.diagnostics[status.name] = ros_io.diagnostic_values(status)

    def on_wearer(self, msg: JointState) -> None:
        device = self.joint_states.take()
        try:
            if device is not None and len(device.effort) == len(device.name):
                self.device = (
                    self.device_map.to_profile_order(device.name, device.effort),
                    self.device_map.to_profile_order(device.name, device.velocity),
                )
            pos = self.wearer_map.to_profile_order(msg.name, msg.position)
            vel = self.wearer_map.to_profile_order(msg.name, msg.velocity)
            muscle = self.wearer_map.to_profile_order(msg.name, msg.effort)
        except (JointNameError, ValueError):
            return
        self.sim_time = ros_io.stamp_to_sec(msg.header.stamp)
        r = self.rec
        r.t.append(self.sim_time)
        r.wall.append(time.monotonic())
        r.wearer_pos.append(np.asarray(pos, dtype=float))
        r.wearer_vel.append(np.asarray(vel, dtype=float))
        r.muscle.append(np.asarray(muscle, dtype=float))
        r.device_torque.append(np.asarray(self.device[0], dtype=float))
        r.device_vel.append(np.asarray(self.device[1], dtype=float))
        r.mode.append(self.mode)


def summarize_assist(profile: RobotProfile, rec: AssistRecording, wall_s: float, mode: str):
    a = rec.arrays()
    t = a["t"]
    assisting = a["mode"] == ASSIST_MODE
    # Whatever the mode, so that a run started transparent is the zero-torque baseline
    # of an assisted one (`--param controller.transparent:=true`).
    scored = t >= t[0] + SETTLE_AFTER_START if t.size else np.zeros(0, dtype=bool)
    hips = a["muscle"][:, HIPS] if len(t) else np.zeros((0, 2))
    hip_vel = a["wearer_vel"][:, HIPS] if len(t) else np.zeros((0, 2))
    device, device_vel = a["device_torque"], a["device_vel"]

    def mean_or_nan(x: np.ndarray) -> float:
        return float(np.mean(x)) if x.size else float("nan")

    return {
        "robot": profile.name,
        "mode": mode,
        "sim_time_s": float(t[-1]) if t.size else 0.0,
        "wall_time_s": wall_s,
        "real_time_factor": rec.real_time_factor(),
        "transitions": [{"t": round(tt, 3), "mode": m} for tt, m in rec.transitions],
        "final_mode": rec.mode[-1] if rec.mode else "UNKNOWN",
        "assisted_s": float(np.sum(np.diff(t, append=t[-1:])[assisting])) if t.size else 0.0,
        "scored_samples": int(scored.sum()),
        "wearer": {
            # Sum over both hips of the mean squared muscle torque, as the training reward
            # and exo_evaluate count it (a proxy for muscle effort, not metabolic cost).
            "hip_effort_nm2": mean_or_nan(np.sum(hips[scored] ** 2, axis=1)),
            "hip_positive_power_w": mean_or_nan(
                np.sum(np.maximum(hips[scored] * hip_vel[scored], 0.0), axis=1)
            ),
        },
        "device": {
            "peak_torque_nm": float(np.abs(device[scored]).max()) if scored.any() else 0.0,
            "rms_torque_nm": float(np.sqrt(np.mean(device[scored] ** 2)))
            if scored.any()
            else float("nan"),
            "positive_power_w": mean_or_nan(
                np.sum(np.maximum(device[scored] * device_vel[scored], 0.0), axis=1)
            ),
        },
        "timing": timing_figures(rec.diagnostics),
        "cpu_percent": dict(rec.cpu_percent),
        "diagnostics": rec.diagnostics,
    }


def format_assist_summary(s: dict) -> str:
    w, d = s["wearer"], s["device"]
    lines = [
        f"legkit run: robot={s['robot']} nodes={s['mode']} sim {s['sim_time_s']:.1f} s, "
        f"{s['wall_time_s']:.1f} s wall in all, real-time factor {s['real_time_factor']:.2f}",
        "assistance modes: " + " -> ".join(f"{x['mode']}@{x['t']:.2f}s" for x in s["transitions"]),
        "loop timing:",
    ]
    lines += [f"  {label:42s} {value:9.3f}" for label, value in s["timing"].items()]
    if s["cpu_percent"]:
        lines.append(
            "CPU % (100 = one core): "
            + ", ".join(f"{name} {pct:.0f}" for name, pct in s["cpu_percent"].items())
        )
    lines.append(
        f"assisted {s['assisted_s']:.1f} s; scored {s['scored_samples']} samples "
        f"from {SETTLE_AFTER_START:.1f} s on:"
    )
    lines.append(
        f"  wearer hip effort {w['hip_effort_nm2']:.0f} N^2 m^2 (sum of both hips' mean "
        f"squared muscle torque), hip positive power {w['hip_positive_power_w']:.1f} W"
    )
    lines.append(
        f"  device peak torque {d['peak_torque_nm']:.1f} N m, RMS {d['rms_torque_nm']:.1f} N m, "
        f"positive power {d['positive_power_w']:.1f} W"
    )
    return "\n".join(lines)


def write_assist_folder(out: Path, rec: AssistRecording, summary: dict) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=json_default))
    (out / "summary.txt").write_text(format_assist_summary(summary) + "\n")
    np.savez_compressed(out / "recording.npz", **rec.arrays())
    return [
        out / "summary.json",
        out / "summary.txt",
        out / "recording.npz",
        plot_assist(rec, out / "plot.png"),
    ]


def plot_assist(rec: AssistRecording, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    a = rec.arrays()
    t = a["t"]
    fig, axes = plt.subplots(3, 1, figsize=(9, 7), sharex=True)
    for side, (label, color) in enumerate([("left", "tab:blue"), ("right", "tab:orange")]):
        if len(t):
            axes[0].plot(t, np.degrees(a["wearer_pos"][:, HIPS[side]]), color, label=label)
            axes[1].plot(t, a["muscle"][:, HIPS[side]], color, label=label)
            axes[2].plot(t, a["device_torque"][:, side], color, label=label)
    axes[0].set_ylabel("hip angle [deg]")
    axes[1].set_ylabel("hip muscle torque [N m]")
    axes[2].set_ylabel("device torque [N m]")
    axes[2].set_xlabel("sim time [s]")
    axes[0].legend(loc="upper right")
    for ax in axes:
        ax.grid(alpha=0.3)
        for tt, _ in rec.transitions:
            ax.axvline(tt, color="tab:red", alpha=0.3, lw=0.8)
    for tt, mode in rec.transitions:
        axes[2].annotate(
            mode, (tt, axes[2].get_ylim()[1]), fontsize=7, color="tab:red", va="top", rotation=90
        )
    fig.suptitle("legkit exoskeleton run: wearer hips and device (ground truth)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
