"""legkit-soak: the whole graph in simulation for a long time, watching memory and loop timing.

    legkit-soak                              # 60 min, a sample every 60 s, 120 s warm-up
    legkit-soak --duration 3 --sample-period 15 --warmup 30

Runs every node in its own process (as `legkit-sim --processes`) while the command
source repeats a one-minute pattern (stand, forward, turn, sideways, back, stop).
Every sample period it prints one line: the RSS of every node process and, per loop,
the deadlines missed since the previous sample. At the end it judges the window after
the warm-up (legkit.soak): no process died, the robot stayed ACTIVE and upright, no
process grew its RSS by more than 5 %, no loop missed more than 0.1 % of its
deadlines, and no other graph shared the DDS domain. It writes soak.json (every sample
and the verdict) and soak.md, prints each failing criterion on one line, and exits 0
on pass, 1 on fail, 2 on bad arguments or a domain where the graph's node names are
already taken (another graph's /clock and service calls would corrupt an hour's run).

Durations are wall time: a leak grows with the hours the stack runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from nav_msgs.msg import Odometry
from rclpy.node import Node
from std_msgs.msg import String

from legkit import REPO_ROOT, soak
from legkit.metrics import is_fallen
from legkit.paths import resolve_model
from legkit.robots import get_profile
from legkit_ros import ros_io, topics
from legkit_ros.bringup import (
    DEFAULT_POLICY,
    config_file,
    node_overrides,
    ros_args,
    write_overrides,
)
from legkit_ros.processes import NODE_MODULES, ROBOT_MODULES, start_in_order, stop_all
from legkit_ros.spin import make_executor

DISCOVERY_S = 2.0
"""Wall seconds to listen for other nodes on the domain before starting the graph."""

MAX_TRANSITIONS = 100
"""Mode changes kept: a flapping controller must not grow the watcher's memory."""


class SoakWatcher(Node):
    """Keeps only the newest figures: a soak's watcher must not grow with the run."""

    def __init__(self, profile) -> None:
        super().__init__("soak_watcher")
        self.profile = profile
        self.sim_time = 0.0
        self.mode = "UNKNOWN"
        self.transitions: list[tuple[float, str]] = []
        self.falls: list[float] = []
        self.stood_up = False
        self.fallen = False
        self.loops: dict[str, soak.LoopCount] = {}
        self.strangers: dict[str, float] = {}
        self.create_subscription(Odometry, topics.ODOM, self.on_odom, topics.RECORD_QOS)
        self.create_subscription(
            String, topics.CONTROLLER_STATE, self.on_mode, topics.MODE_WATCH_QOS
        )
        self.create_subscription(DiagnosticArray, topics.DIAGNOSTICS, self.on_diagnostics, 50)

    def note_strangers(self, own: list[str], t: float) -> None:
        """Record names of `own` nodes that appear twice: another graph shares the domain."""
        seen = self.get_node_names()
        for name in own:
            if seen.count(name) > 1 and name not in self.strangers:
                self.strangers[name] = t
                self.get_logger().error(
                    f"another '{name}' node joined DDS domain {domain_id()}: "
                    "its messages mix with this soak's"
                )

    def on_odom(self, msg: Odometry) -> None:
        self.sim_time = ros_io.stamp_to_sec(msg.header.stamp)
        if not self.stood_up:
            return  # it starts lying on its belly: falls count once it has stood up
        p, q = msg.pose.pose.position, msg.pose.pose.orientation
        fallen = is_fallen(self.profile, p.z, np.array([q.x, q.y, q.z, q.w]))
        if fallen and not self.fallen and len(self.falls) < MAX_TRANSITIONS:
            self.falls.append(self.sim_time)
            self.get_logger().error(f"the robot fell at sim {self.sim_time:.1f} s")
        self.fallen = fallen

    def on_mode(self, msg: String) -> None:
        if msg.data != self.mode:
            self.mode = msg.data
            self.stood_up = self.stood_up or msg.data == "ACTIVE"
            if len(self.transitions) < MAX_TRANSITIONS:
                self.transitions.append((self.sim_time, msg.data))

    def on_diagnostics(self, msg: DiagnosticArray) -> None:
        # A loop is any node that reports both counters (RateMonitor's summary).
        for status in msg.status:
            values = ros_io.diagnostic_values(status)
            cycles, missed = values.get("cycles"), values.get("missed_deadlines")
            if isinstance(cycles, float) and isinstance(missed, float):
                self.loops[status.name.lstrip("/")] = soak.LoopCount(cycles, missed)


def domain_id() -> str:
    return os.environ.get("ROS_DOMAIN_ID", "0")


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="legkit-soak", description=__doc__.split("\n\n")[0])
    ap.add_argument("--robot", default="quadruped")
    ap.add_argument("--policy", default=None, help="ONNX policy (path, or a file name in models/)")
    ap.add_argument("--duration", type=float, default=60.0, help="wall minutes (default 60)")
    ap.add_argument("--sample-period", type=float, default=60.0, help="wall seconds")
    ap.add_argument(
        "--warmup",
        type=float,
        default=120.0,
        help="wall seconds not judged (at most half the duration)",
    )
    ap.add_argument("--real-time-factor", type=float, default=1.0)
    ap.add_argument("--out", type=Path, default=None, help="run folder (default runs/soak-<time>)")
    ap.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="[NODE.]NAME:=VALUE",
        help="parameter override, as for legkit-sim (repeatable)",
    )
    args = ap.parse_args(argv)
    if args.duration <= 0 or args.sample_period <= 0 or args.warmup < 0:
        ap.error("--duration and --sample-period must be positive, --warmup not negative")
    if args.real_time_factor <= 0:
        ap.error("--real-time-factor must be positive")
    return args


def unjudged_loops(per_node: dict[str, dict[str, object]], real_time_factor: float) -> dict:
    """Loops whose deadline counts mean nothing in this run, and why.

    A node on the sim clock times its loop with the wall clock against its nominal
    period in sim time; away from real time every period looks early or late. The
    robot's own loop is scaled by the real-time factor and is always judged.
    """
    if real_time_factor == 1.0:
        return {}
    why = (
        f"it compares wall-clock periods with its sim-time period and the sim runs at "
        f"real-time factor {real_time_factor:g}"
    )
    return {name: why for name, params in per_node.items() if params.get("use_sim_time")}


def graph_overrides(args, policy: Path, duration_s: float) -> dict[str, dict[str, object]]:
    per_node = node_overrides(policy, args.real_time_factor, args.param)
    # The sim may run a little ahead of the nominal factor; the margin keeps the
    # pattern going to the end instead of holding its last segment.
    pattern = soak.command_pattern(duration_s * args.real_time_factor * 1.2 + soak.CYCLE_S)
    per_node["command_source"].update(pattern, from_clock_zero=True)
    return per_node


def main(argv=None) -> int:
    args = parse_args(argv)
    duration_s = args.duration * 60.0
    warmup_s, period_s = soak.clamp_schedule(duration_s, args.warmup, args.sample_period)
    run_dir = args.out or REPO_ROOT / "runs" / datetime.now().strftime("soak-%Y%m%d-%H%M%S")
    try:
        profile = get_profile(args.robot)
        if args.policy is None and args.robot not in DEFAULT_POLICY:
            raise ValueError(f"no shipped policy for robot '{args.robot}': pass --policy")
        policy = resolve_model(args.policy or DEFAULT_POLICY[args.robot]).resolve()
        per_node = graph_overrides(args, policy, duration_s)
        params = [config_file(args.robot)]
    except (ValueError, KeyError, FileNotFoundError) as err:
        print(f"legkit-soak: {err}", file=sys.stderr)
        return 2
    rargs = ros_args(params, write_overrides(run_dir / "overrides.yaml", per_node))
    print(
        f"legkit-soak: {args.duration:g} min, sample every {period_s:g} s, warm-up {warmup_s:g} s, "
        f"real-time factor {args.real_time_factor:g}, policy {policy} -> {run_dir}",
        flush=True,
    )
    rclpy.init()
    watcher = SoakWatcher(profile)
    try:
        samples, exits = run_graph(watcher, rargs, run_dir, duration_s, period_s)
    except DomainBusy as err:
        print(f"legkit-soak: {err}", file=sys.stderr)
        return 2
    except RuntimeError as err:
        print(f"legkit-soak: a node did not start: {err}", file=sys.stderr)
        return 1
    finally:
        watcher.destroy_node()
        if rclpy.ok():
            rclpy.shutdown()
    events = soak.Events(exits, watcher.transitions, watcher.falls, watcher.strangers)
    unjudged = unjudged_loops(per_node, args.real_time_factor)
    verdict = soak.judge(samples, warmup_s, events, unjudged)
    settings = {
        "robot": args.robot,
        "policy": str(policy),
        "duration_min": args.duration,
        "sample_period_s": period_s,
        "warmup_s": warmup_s,
        "real_time_factor": args.real_time_factor,
        "ros_domain_id": domain_id(),
        "limits": {
            "rss_growth": soak.RSS_GROWTH_LIMIT,
            "missed_fraction": soak.MISSED_FRACTION_LIMIT,
        },
    }
    report = {
        "settings": settings,
        "samples": [dataclasses.asdict(s) for s in samples],
        "events": dataclasses.asdict(events),
        "figures": soak.figures_dict(samples, warmup_s, unjudged),
        "verdict": verdict.to_dict(),
    }
    write_report(run_dir, report)
    print_verdict(verdict, run_dir)
    return 0 if verdict.passed else 1


def run_graph(watcher: SoakWatcher, rargs, run_dir: Path, duration_s: float, period_s: float):
    """Start the graph, sample it until the end (or a process dies), stop it.

    Returns (samples, exit code per process, None for those still running at the end).
    """
    logs = run_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    executor = make_executor()
    executor.add_node(watcher)
    spin = lambda: executor.spin_once(timeout_sec=0.05)  # noqa: E731
    names = [n for n in NODE_MODULES if n not in ROBOT_MODULES] + ["sim_bridge"]
    refuse_a_busy_domain(watcher, spin, [*names, watcher.get_name()])
    procs = start_in_order(names, logs, rargs, watcher, spin)
    try:
        samples = sample_until(watcher, executor, procs, duration_s, period_s)
        exits = {name: p.returncode for name, p in procs.items()}
    finally:
        stop_all(procs)
    for name, code in exits.items():
        if code is not None:
            tail = " | ".join(procs[name].log().strip().splitlines()[-3:])
            print(f"legkit-soak: node '{name}' exited with code {code}: {tail}", file=sys.stderr)
    return samples, exits


class DomainBusy(RuntimeError):
    """Another graph's nodes are on the DDS domain: a soak there would measure both."""


def refuse_a_busy_domain(watcher: SoakWatcher, spin, names: list[str]) -> None:
    end = time.monotonic() + DISCOVERY_S
    while time.monotonic() < end:
        spin()
    seen = watcher.get_node_names()
    # The watcher itself is in the list once; a second one is another soak.
    busy = [n for n in names if seen.count(n) > (n == watcher.get_name())]
    if busy:
        raise DomainBusy(
            f"DDS domain {domain_id()} already has nodes named {', '.join(busy)}: their "
            "messages would mix with this soak's; set ROS_DOMAIN_ID to a free domain"
        )


def sample_until(watcher, executor, procs, duration_s: float, period_s: float) -> list:
    """A sample at once, every `period_s`, and at `duration_s`; stops early if a process dies."""
    samples: list[soak.Sample] = []
    own = [*procs, watcher.get_name()]
    t0 = time.monotonic()
    next_t = next_graph_check = 0.0
    while True:
        executor.spin_once(timeout_sec=0.1)
        now = time.monotonic() - t0
        if now >= next_graph_check:  # a graph query per second costs next to nothing
            watcher.note_strangers(own, now)
            next_graph_check = now + 1.0
        died = any(p.returncode is not None for p in procs.values())
        if now >= next_t or died:
            samples.append(take_sample(watcher, procs, now))
            print(soak.sample_line(samples[-1], samples[-2] if len(samples) > 1 else None))
            sys.stdout.flush()
            if next_t >= duration_s or died:
                return samples
            next_t = min(next_t + period_s, duration_s)


def take_sample(watcher: SoakWatcher, procs, t: float) -> soak.Sample:
    rss = {}
    for name, p in procs.items():
        kb = soak.resident_kb(p.proc.pid) if p.returncode is None else None
        if kb is not None:
            rss[name] = kb
    return soak.Sample(t, watcher.sim_time, watcher.mode, rss, dict(watcher.loops))


def write_report(run_dir: Path, report: dict) -> None:
    (run_dir / "soak.json").write_text(json.dumps(report, indent=1))
    (run_dir / "soak.md").write_text(soak.markdown(report))


def print_verdict(verdict: soak.Verdict, run_dir: Path) -> None:
    for note in verdict.notes:
        print(f"legkit-soak: note: {note}")
    for check in verdict.failures():
        print(f"FAIL {check.criterion}: {check.line}")
    print(f"legkit-soak: {'PASS' if verdict.passed else 'FAIL'}; {run_dir / 'soak.md'}")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
