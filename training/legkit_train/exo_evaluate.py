"""Evaluate hip assistance: the wearer's effort with assistance, with a transparent device, and
without any device.

Usage::

    python -m legkit_train.exo_evaluate --law hip-velocity --gain 4 --out runs/exo_eval/vel
    python -m legkit_train.exo_evaluate --policy models/exo_walk.onnx --out runs/exo_eval/walk

Three conditions, each on the nominal wearer (no randomization, no noise) from the start
of the task's cycle; after `WARMUP_CYCLES` cycles, whole cycles are measured:

- **assist**: the device worn, driven by the policy or assistance law through the
  deployed shaping (`legkit.control.assistance`), as in training;
- **zero-torque**: the device worn and commanded zero torque (transparent): its mass,
  straps and back-drive friction stay;
- **no exoskeleton**: the wearer alone (`urdf/wearer.urdf`).

Per cycle: hip effort (integral of the squared hip muscle torque, both hips [N^2 m^2 s]),
positive hip work (both hips [J]), the other joints' effort, the device's peak torque
[N m] and mean positive power [W], and how well the motion and balance were kept (joint
tracking RMS, harness force RMS). The changes that matter are printed as percentages
and drawn in ``effort.png``; everything is written to ``summary.json``.

The policy is anything that maps the contract's observation to an action: an
`OnnxPolicy` (its ``act``), or a hand-written law such as `hip_velocity_law`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from legkit.policy.contract import PolicyContract, mismatches
from legkit.policy.defaults import training_contract
from legkit.policy.observation import ObservationBuilder
from legkit.robots import EXOSKELETON
from legkit.wearer.metrics import EffortMeter
from legkit.wearer.world import WearerConfig, WearerWorld
from legkit_train.exo_config import TASKS, ExoEnvConfig, ExoRandomization
from legkit_train.exo_env import ExoAssistEnv
from legkit_train.exo_randomization import motion_for

Policy = Callable[[np.ndarray], np.ndarray]
"""Observation (contract layout) -> raw action."""

CONDITIONS = ("assist", "zero_torque", "no_exo")
WARMUP_CYCLES = 2
"""Cycles run before measuring: the wearer settles from the reference start [-]."""
PROFILE_BINS = 50
"""Phase bins of the mean torque profiles [-]."""


def hip_velocity_law(contract: PolicyContract, gain: float) -> Policy:
    """Assistance torque proportional to each thigh's angular velocity, from the observation.

    ``tau = gain * thigh rate`` [N m] (`gain` in N m s/rad), flexion torque while the thigh
    swings forward and extension torque while it swings back, so the device pushes with
    the motion: the simplest law that returns positive work to the hips (a hand-written
    baseline, deployable on the same sensors as the policy).
    """
    slices = ObservationBuilder.from_contract(contract).term_slices()
    rate = slices["thigh_ang_vel"]
    scale = np.asarray(
        next(t.scale for t in contract.observation if t.name == "thigh_ang_vel"), dtype=float
    )
    newest = contract.observation_size - sum(t.size for t in contract.observation)

    def act(obs: np.ndarray) -> np.ndarray:
        thigh_rate = np.asarray(obs)[newest + rate.start : newest + rate.stop] / scale
        return gain * thigh_rate / contract.action_scale

    return act


@dataclass
class ConditionResult:
    """One condition, per cycle unless stated."""

    cycles: int
    hip_effort: float
    """Both hips, integral of squared muscle torque per cycle [N^2 m^2 s]."""
    hip_positive_work: float
    """Both hips, positive muscle work per cycle [J]."""
    other_effort: float
    """Knees and ankles, integral of squared muscle torque per cycle [N^2 m^2 s]."""
    hip_torque_rms: float
    """RMS hip muscle torque [N m]."""
    exo_peak_torque: float
    """Largest delivered actuator torque [N m]."""
    exo_positive_power: float
    """Mean positive mechanical power of the actuators, both [W]."""
    tracking_rms_deg: float
    """RMS joint tracking error of the wearer [deg]."""
    harness_force_rms: float
    """RMS harness force, forward and up combined [N]."""
    hip_profile: list[float]
    """Mean left-hip muscle torque per phase bin [N m]."""
    exo_profile: list[float]
    """Mean left actuator torque per phase bin [N m] (zeros without a device)."""


def nominal_config(task: str, cycle_start: bool = True) -> ExoEnvConfig:
    """The environment set up for scoring: nominal wearer and device, no ramp-in."""
    return ExoEnvConfig(
        task=task,
        randomization=ExoRandomization.none(),
        random_start=not cycle_start,
        episode_length_s=1e6,  # the evaluation decides when to stop
    )


class _Recorder:
    """Sums one condition's cycles: the meter plus per-step traces for the profiles."""

    def __init__(self, num_exo: int) -> None:
        self.total = EffortMeter(num_exo)
        self.phase, self.hip, self.exo, self.error_sq = [], [], [], []

    def step(self, meter: EffortMeter, phase: float, tracking_error: np.ndarray) -> None:
        self.total.absorb(meter)
        self.phase.append(phase)
        self.hip.append(meter.mean("hip_torque")[0])
        self.exo.append(meter.mean("exo_torque")[0] if meter.exo_torque.size else 0.0)
        self.error_sq.append(float(np.mean(tracking_error**2)))

    def result(self, cycles: int) -> ConditionResult:
        t = self.total
        bins = np.minimum((np.asarray(self.phase) * PROFILE_BINS).astype(int), PROFILE_BINS - 1)

        def profile(values: list[float]) -> list[float]:
            v = np.asarray(values)
            return [
                float(v[bins == b].mean()) if np.any(bins == b) else 0.0
                for b in range(PROFILE_BINS)
            ]

        return ConditionResult(
            cycles=cycles,
            hip_effort=float(t.hip_torque_sq.sum()) / cycles,
            hip_positive_work=float(t.hip_positive_work.sum()) / cycles,
            other_effort=float(t.other_torque_sq.sum()) / cycles,
            hip_torque_rms=float(np.sqrt(t.mean("hip_torque_sq").mean())),
            exo_peak_torque=t.exo_peak_torque,
            exo_positive_power=float(t.mean("exo_positive_work").sum())
            if t.exo_torque.size
            else 0.0,
            tracking_rms_deg=float(np.degrees(np.sqrt(np.mean(self.error_sq)))),
            harness_force_rms=float(np.sqrt(t.mean("harness_sq")[:2].sum())),
            hip_profile=profile(self.hip),
            exo_profile=profile(self.exo),
        )


def run_with_device(task: str, policy: Policy | None, cycles: int) -> ConditionResult:
    """Assist with `policy` (None: zero torque) for `cycles` measured cycles."""
    env = ExoAssistEnv(nominal_config(task))
    try:
        obs, _ = env.reset(seed=0)
        per_cycle = round(env.episode.motion.period / env.contract.control_period)
        rec = _Recorder(env.profile.num_joints)
        zero = np.zeros(env.action_space.shape, dtype=np.float32)
        for k in range((WARMUP_CYCLES + cycles) * per_cycle):
            action = zero if policy is None else np.asarray(policy(obs), dtype=np.float32)
            obs, _, terminated, _, info = env.step(action)
            if terminated:
                raise RuntimeError(f"the wearer fell during the {task} evaluation at step {k}")
            if k >= WARMUP_CYCLES * per_cycle:
                q, _ = env.world.human_state()
                error = q - env.world.reference().joint_positions
                rec.step(info["effort"], info["phase"], error)
        return rec.result(cycles)
    finally:
        env.close()


def run_without_device(task: str, cycles: int) -> ConditionResult:
    """The wearer alone, same motion, same timing, same bookkeeping."""
    motion, contract = motion_for(task), training_contract(EXOSKELETON)  # as the env's
    world = WearerWorld(motion, None, WearerConfig(physics_rate_hz=1.0 / contract.physics_period))
    try:
        per_cycle = round(motion.period / contract.control_period)
        rec = _Recorder(0)
        meter = EffortMeter(0)
        for k in range((WARMUP_CYCLES + cycles) * per_cycle):
            meter.reset()
            for _ in range(contract.decimation):
                world.step()
                meter.add(world.last, world.dt)
            if k >= WARMUP_CYCLES * per_cycle:
                q, _ = world.human_state()
                ref = world.reference()
                rec.step(meter, ref.phase, q - ref.joint_positions)
        return rec.result(cycles)
    finally:
        world.close()


def percent_change(new: float, old: float) -> float:
    """100 (new - old) / old [%]."""
    return 100.0 * (new - old) / old


def evaluate(task: str, policy: Policy, cycles: int = 10) -> dict[str, object]:
    """All three conditions and the changes between them."""
    results = {
        "assist": run_with_device(task, policy, cycles),
        "zero_torque": run_with_device(task, None, cycles),
        "no_exo": run_without_device(task, cycles),
    }
    a, z, n = results["assist"], results["zero_torque"], results["no_exo"]
    changes = {
        "hip_effort_vs_zero_torque_pct": percent_change(a.hip_effort, z.hip_effort),
        "hip_effort_vs_no_exo_pct": percent_change(a.hip_effort, n.hip_effort),
        "hip_positive_work_vs_zero_torque_pct": percent_change(
            a.hip_positive_work, z.hip_positive_work
        ),
        "hip_positive_work_vs_no_exo_pct": percent_change(a.hip_positive_work, n.hip_positive_work),
        "zero_torque_hip_effort_vs_no_exo_pct": percent_change(z.hip_effort, n.hip_effort),
        "other_effort_vs_zero_torque_pct": percent_change(a.other_effort, z.other_effort),
    }
    return {
        "task": task,
        "cycles": cycles,
        "conditions": {k: dataclasses.asdict(v) for k, v in results.items()},
        "changes": changes,
    }


def plot(summary: dict[str, object], path: Path, title: str) -> None:
    """Bars of hip effort and positive work (zero torque = 100 %) and the mean hip torque
    over the cycle in each condition, with the device's torque."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    conds = summary["conditions"]
    labels = {"no_exo": "no exoskeleton", "zero_torque": "zero torque", "assist": "assist on"}
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    base = conds["zero_torque"]
    x = np.arange(2)
    for i, name in enumerate(("no_exo", "zero_torque", "assist")):
        c = conds[name]
        values = [
            100 * c["hip_effort"] / base["hip_effort"],
            100 * c["hip_positive_work"] / base["hip_positive_work"],
        ]
        bars = left.bar(x + (i - 1) * 0.27, values, 0.27, label=labels[name])
        left.bar_label(bars, fmt="%.0f", fontsize=8)
    left.set_xticks(x, ["hip effort (sum tau^2)", "positive hip work"])
    left.set_ylabel("% of zero-torque")
    left.legend(fontsize=8)
    phase = (np.arange(PROFILE_BINS) + 0.5) / PROFILE_BINS * 100
    for name in ("no_exo", "zero_torque", "assist"):
        right.plot(phase, conds[name]["hip_profile"], label=f"wearer hip, {labels[name]}")
    right.plot(phase, conds["assist"]["exo_profile"], "k--", label="device torque, assist on")
    right.axhline(0.0, color="grey", lw=0.5)
    right.set_xlabel("% of cycle")
    right.set_ylabel("left hip torque [N m] (flexion +)")
    right.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def format_table(summary: dict[str, object]) -> str:
    """The per-condition numbers and the changes, as Markdown."""
    conds = summary["conditions"]
    rows = [
        "| condition | hip effort [N^2 m^2 s/cycle] | positive hip work [J/cycle] | "
        "exo peak [N m] | exo positive power [W] | tracking RMS [deg] | harness RMS [N] |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in ("no_exo", "zero_torque", "assist"):
        c = conds[name]
        rows.append(
            f"| {name} | {c['hip_effort']:.0f} | {c['hip_positive_work']:.1f} | "
            f"{c['exo_peak_torque']:.1f} | {c['exo_positive_power']:.1f} | "
            f"{c['tracking_rms_deg']:.2f} | {c['harness_force_rms']:.1f} |"
        )
    rows.append("")
    rows.extend(f"- {k}: {v:+.1f} %" for k, v in summary["changes"].items())
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> dict[str, object]:
    p = argparse.ArgumentParser(
        prog="python -m legkit_train.exo_evaluate", description=__doc__.split("\n")[0]
    )
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--policy", type=Path, help="ONNX assistance policy with its contract")
    source.add_argument(
        "--law", choices=["hip-velocity"], help="a hand-written assistance law instead"
    )
    p.add_argument("--gain", type=float, default=4.0, help="hip-velocity gain [N m s/rad]")
    p.add_argument("--task", choices=TASKS, default="walk")
    p.add_argument("--cycles", type=int, default=10, help="measured cycles per condition")
    p.add_argument("--out", type=Path, default=Path("runs/exo_eval"))
    args = p.parse_args(argv)

    contract = training_contract(EXOSKELETON)
    if args.policy is not None:
        from legkit.policy.runner import OnnxPolicy

        onnx = OnnxPolicy(args.policy)
        problems = mismatches(onnx.contract, EXOSKELETON)
        if onnx.contract.observation != contract.observation or problems:
            raise SystemExit(f"{args.policy}: not an assistance policy for this device {problems}")
        policy: Policy = onnx.act
        title = f"{args.task}: {args.policy.name}"
    else:
        policy = hip_velocity_law(contract, args.gain)
        title = f"{args.task}: tau = {args.gain:g} N m s/rad x thigh rate"
    summary = evaluate(args.task, policy, args.cycles)
    summary["policy"] = title
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    plot(summary, args.out / "effort.png", title)
    print(title)
    print(format_table(summary))
    print(f"wrote {args.out / 'summary.json'} and {args.out / 'effort.png'}")
    return summary


if __name__ == "__main__":
    main()
