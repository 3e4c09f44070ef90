"""The main job: the whole graph in simulation for N seconds, then a summary.

    legkit-sim --duration 20                 # nodes composed in this process
    legkit-sim --duration 20 --processes     # one process per node, over DDS
    legkit-sim --record                      # also runs/<time>/run.mcap (ros2 bag, Foxglove)
    legkit-sim --rehearsal --real-time-factor 0.25   # the real-robot driver path, emulated

Runs the sim bridge, controller, observation, policy and command-source nodes with
the robot's YAML defaults, watches them through their public topics, then prints a
summary (loop rates, policy latency, command vs achieved velocity, base height,
falls) and writes a run folder with summary.json, plot.png and robot.gif.

With `--rehearsal` the robot is not the sim bridge but the rehearsal process: the
lifecycle hardware bridge, exactly as on the robot, talking MIT frames over virtual
CAN buses to emulated motors whose shafts are the pybullet robot's joints (the
parameters of `<robot>_hardware.yaml` on top of `<robot>.yaml`). The bringup then does
what the operator does on the robot: waits for the bridge to be active and calls
/controller/start.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime
from pathlib import Path

import rclpy

from legkit import REPO_ROOT
from legkit.paths import resolve_model
from legkit.robots import get_profile
from legkit_ros import topics
from legkit_ros.assist_report import (
    AssistMonitor,
    format_assist_summary,
    summarize_assist,
    write_assist_folder,
)
from legkit_ros.processes import (
    ROBOT_MODULES,
    CpuMeter,
    graph_modules,
    start_in_order,
    stop_all,
)
from legkit_ros.run_monitor import RunMonitor
from legkit_ros.run_report import format_summary, summarize, write_run_folder
from legkit_ros.spin import StartupError, freeze_startup_objects, make_executor


def config_file(robot: str) -> Path:
    """The robot's parameter YAML: the installed share/ copy under colcon, else the source tree."""
    name = f"{robot}.yaml"
    try:
        from ament_index_python.packages import get_package_share_directory

        share = Path(get_package_share_directory("legkit_ros")) / "config" / name
        if share.exists():
            return share
    except Exception:  # not built with colcon: use the source tree
        pass
    path = Path(__file__).resolve().parent.parent / "config" / name
    if not path.exists():
        raise FileNotFoundError(f"no parameter file for robot '{robot}': {path}")
    return path


def write_overrides(path: Path, per_node: dict[str, dict[str, object]]) -> Path:
    """A params file that overrides the robot YAML for the named nodes.

    Overrides must be node-specific: a command-line `-p name:=value` is a wildcard,
    and rcl lets the YAML's node-specific entry win over it.
    """
    import yaml

    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {node: {"ros__parameters": params} for node, params in per_node.items() if params}
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def graph_nodes(rehearsal: bool, actuation: str = "position") -> list[str]:
    """The graph's node names; the robot's stand-in is the sim bridge or the rehearsal.

    The rehearsal process holds two nodes, `rehearsal` (the simulated robot and its
    motors) and `hardware_bridge`; both take parameters. `actuation` is the robot
    profile's: a torque-actuated robot (the exoskeleton) has no command source.
    """
    upstream = [name for name in graph_modules(actuation) if name not in ROBOT_MODULES]
    return upstream + (["rehearsal", "hardware_bridge"] if rehearsal else ["sim_bridge"])


def parse_param(item: str, nodes: list[str]) -> tuple[str | None, str, object]:
    """`[node.]name:=value` -> (node or None for every node, name, YAML-typed value)."""
    import yaml

    if ":=" not in item:
        raise ValueError(f"--param expects [node.]name:=value, got '{item}'")
    key, raw = item.split(":=", 1)
    node, _, name = key.rpartition(".")
    if node and node not in nodes:
        raise ValueError(f"--param {item}: unknown node '{node}'; nodes: {sorted(nodes)}")
    return (node or None), name, yaml.safe_load(raw)


def ros_args(params: list[Path], overrides: Path) -> list[str]:
    args = ["--ros-args"]
    for path in [*params, overrides]:
        args += ["--params-file", str(path)]
    return args


def node_overrides(
    policy: Path,
    real_time_factor: float,
    extra: list[str],
    rehearsal: bool = False,
    actuation: str = "position",
) -> dict:
    nodes = graph_nodes(rehearsal, actuation)
    robot = "rehearsal" if rehearsal else "sim_bridge"
    # The robot publishes the clock; everything else runs on it.
    per_node: dict[str, dict[str, object]] = {
        name: {"use_sim_time": name != robot} for name in nodes
    }
    per_node["policy"]["policy"] = str(policy)
    per_node["observation"]["policy"] = str(policy)
    per_node[robot]["real_time_factor"] = real_time_factor
    for item in extra:
        node, name, value = parse_param(item, nodes)
        for target in [node] if node else nodes:
            per_node[target][name] = value
    return per_node


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="legkit-sim", description=__doc__.split("\n\n")[0])
    ap.add_argument("--robot", default="quadruped")
    ap.add_argument(
        "--policy",
        default=None,
        help="ONNX policy (path, or a file name in models/); default: the robot's",
    )
    ap.add_argument("--duration", type=float, default=20.0, help="simulated seconds to run")
    ap.add_argument(
        "--processes",
        action="store_true",
        help="run each node in its own process (default: compose in one)",
    )
    ap.add_argument("--real-time-factor", type=float, default=1.0)
    ap.add_argument(
        "--rehearsal",
        action="store_true",
        help="drive the simulated robot through the hardware bridge and emulated CAN motors "
        "(implies --processes; slow machines want --real-time-factor 0.25)",
    )
    ap.add_argument("--out", type=Path, default=REPO_ROOT / "runs", help="parent of run folders")
    ap.add_argument("--no-gif", action="store_true", help="skip the animated GIF")
    ap.add_argument(
        "--record",
        nargs="?",
        const="",
        default=None,
        type=str,
        metavar="PATH.mcap",
        help="record the main topics to an MCAP file (default path: <run folder>/run.mcap); "
        "legkit-report turns it into the plot",
    )
    ap.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="[NODE.]NAME:=VALUE",
        help="parameter override for one node, or every node without NODE. "
        "(repeatable), e.g. sim_bridge.ground_friction:=0.6",
    )
    return ap.parse_args(argv)


DEFAULT_POLICY = {"quadruped": "quadruped_walk.onnx", "exoskeleton": "exo_walk.onnx"}


def main(argv=None) -> int:
    args = parse_args(argv)
    run_dir = args.out / datetime.now().strftime("%Y%m%d-%H%M%S")
    try:
        profile = get_profile(args.robot)
        if args.policy is None and args.robot not in DEFAULT_POLICY:
            raise ValueError(f"no shipped policy for robot '{args.robot}': pass --policy")
        params = [config_file(args.robot)]
        if args.rehearsal:
            args.processes = True  # the rehearsal's physics thread needs its own process
            try:
                params.append(config_file(f"{args.robot}_hardware"))
            except FileNotFoundError:
                raise ValueError(
                    f"no hardware configuration for robot '{args.robot}' "
                    f"({args.robot}_hardware.yaml): nothing to rehearse"
                ) from None
        overrides = node_overrides(
            Path(), args.real_time_factor, args.param, args.rehearsal, profile.actuation
        )
    except (ValueError, KeyError, FileNotFoundError) as err:
        print(f"legkit-sim: {err}", file=sys.stderr)
        return 2
    policy = resolve_model(args.policy or DEFAULT_POLICY[args.robot])
    for node in ("policy", "observation"):
        overrides[node]["policy"] = str(policy.resolve())
    rargs = ros_args(params, write_overrides(run_dir / "overrides.yaml", overrides))
    print(
        f"legkit-sim: robot={args.robot} policy={policy} duration={args.duration:.0f} s "
        f"{'processes' if args.processes else 'composed'}"
        f"{', rehearsal on emulated CAN motors' if args.rehearsal else ''} -> {run_dir}",
        flush=True,
    )

    if args.record is not None:
        args.record = Path(args.record) if args.record else run_dir / "run.mcap"
        args.record_metadata = {"robot": args.robot, "policy": str(policy)}
    t0 = time.monotonic()
    try:
        if args.processes:
            rec, ok = run_processes(profile, rargs, args, run_dir)
        else:
            rec, ok = run_composed(profile, rargs, args)
    except StartupError as err:
        print(f"legkit-sim: a node refused to start: {err}", file=sys.stderr)
        return 1
    wall = time.monotonic() - t0
    nodes = "processes" if args.processes else "composed"
    if profile.actuation == "torque":
        summary = summarize_assist(profile, rec, wall, nodes)
        print(format_assist_summary(summary), flush=True)
        written = write_assist_folder(run_dir, rec, summary)
    else:
        summary = summarize(profile, rec, wall, nodes)
        print(format_summary(summary), flush=True)
        written = write_run_folder(run_dir, profile, rec, summary, gif=not args.no_gif)
    if args.record is not None:
        written.append(args.record)
    print("run folder: " + ", ".join(str(p) for p in written), flush=True)
    return 0 if ok else 1


def _wall_limit(args) -> float:
    return args.duration / args.real_time_factor * 4.0 + 60.0


def _recorder(args) -> list:
    """The MCAP recorder, in the bringup's own process (a list: empty without --record)."""
    if args.record is None:
        return []
    from legkit_ros.mcap_recorder import McapRecorder

    return [McapRecorder(path=args.record, metadata=args.record_metadata)]


def _monitor(profile):
    """What records the run: the robot's base for a legged robot, the wearer for an exo."""
    return AssistMonitor(profile) if profile.actuation == "torque" else RunMonitor(profile)


def run_composed(profile, rargs, args):
    from legkit_ros.observation_node import ObservationNode
    from legkit_ros.policy_node import PolicyNode
    from legkit_ros.sim_bridge import SimBridge

    if profile.actuation == "torque":
        from legkit_ros.assistance_controller import AssistanceControllerNode

        upstream = (PolicyNode, ObservationNode, AssistanceControllerNode)
    else:
        from legkit_ros.command_source import CommandSource
        from legkit_ros.controller_node import ControllerNode

        upstream = (PolicyNode, ObservationNode, CommandSource, ControllerNode)
    rclpy.init(args=rargs)
    nodes = []
    try:
        # The robot last, as in the process start order.
        for cls in (*upstream, SimBridge):
            nodes.append(cls())
        monitor = _monitor(profile)
        nodes.append(monitor)
        nodes += _recorder(args)
        executor = make_executor()
        for node in nodes:
            executor.add_node(node)
        freeze_startup_objects()
        cpu = CpuMeter({"all nodes (one process)": os.getpid()})
        deadline = time.monotonic() + _wall_limit(args)
        while monitor.sim_time < args.duration and time.monotonic() < deadline:
            executor.spin_once(timeout_sec=0.1)
        monitor.rec.cpu_percent = cpu.percent()
        # One more diagnostics round so the summary has the final figures.
        for node in nodes:
            if hasattr(node, "diagnostics_pub"):
                node.diagnostics_pub.publish()
        end = time.monotonic() + 0.3
        while time.monotonic() < end:
            executor.spin_once(timeout_sec=0.05)
        return monitor.rec, monitor.sim_time >= args.duration
    finally:
        for node in nodes:
            node.destroy_node()
        if rclpy.ok():
            rclpy.shutdown()


def run_processes(profile, rargs, args, run_dir: Path):
    logs = run_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    rclpy.init(args=rargs)
    monitor = _monitor(profile)
    executor = make_executor()
    executor.add_node(monitor)
    recorder = _recorder(args)
    for node in recorder:
        executor.add_node(node)
    procs = {}
    ok = True
    spin = lambda: executor.spin_once(timeout_sec=0.05)  # noqa: E731
    robot = "rehearsal" if args.rehearsal else "sim_bridge"
    try:
        try:
            modules = graph_modules(profile.actuation)
            procs = start_in_order(
                [n for n in modules if n not in ROBOT_MODULES] + [robot],
                logs,
                rargs,
                monitor,
                spin,
                modules=modules,
            )
            if args.rehearsal:
                start_like_the_operator(monitor, spin, timeout=_wall_limit(args))
        except RuntimeError as err:
            raise StartupError(str(err)) from err
        cpu = CpuMeter({name: p.proc.pid for name, p in procs.items()})
        deadline = time.monotonic() + _wall_limit(args)
        while monitor.sim_time < args.duration and time.monotonic() < deadline:
            executor.spin_once(timeout_sec=0.1)
            dead = {n: p.returncode for n, p in procs.items() if p.returncode is not None}
            if dead:
                for name, code in dead.items():
                    tail = procs[name].log().strip().splitlines()[-3:]
                    print(
                        f"legkit-sim: node '{name}' exited with code {code}: " + " | ".join(tail),
                        file=sys.stderr,
                    )
                ok = False
                break
        ok = ok and monitor.sim_time >= args.duration
        monitor.rec.cpu_percent = cpu.percent()
        end = time.monotonic() + 1.2  # one more diagnostics round from every node
        while time.monotonic() < end:
            executor.spin_once(timeout_sec=0.05)
        return monitor.rec, ok
    finally:
        stop_all(procs)
        monitor.destroy_node()
        for node in recorder:
            node.destroy_node()
        if rclpy.ok():
            rclpy.shutdown()


OPERATOR_WATCH_S = 0.5
"""Wall seconds the operator watches the robot after a successful start before leaving
it: a fault the bridge reported just before (e.g. its watchdog while the controller was
still discovering it) can arrive after the start and put the robot back in DAMPING."""


def standing_up(node, spin) -> bool:
    """Whether the controller is still in STANDUP or ACTIVE after OPERATOR_WATCH_S."""
    end = time.monotonic() + OPERATOR_WATCH_S
    while time.monotonic() < end:
        spin()
    return node.builder.mode in ("STANDUP", "ACTIVE")


def start_like_the_operator(node, spin, timeout: float) -> None:
    """Wait for the hardware bridge to be active, then call /controller/start, and again
    if the robot is back in DAMPING within OPERATOR_WATCH_S (as an operator would).

    The robot's start-up procedure: the controller's `auto_start` is off on hardware,
    so nothing moves until a person has seen the bridge active. Raises RuntimeError
    naming the step that did not happen within `timeout` wall seconds.
    """
    from lifecycle_msgs.srv import GetState
    from std_srvs.srv import Trigger

    def call(client, request):
        future = client.call_async(request)
        end = time.monotonic() + 5.0
        while not future.done() and time.monotonic() < end:
            spin()
        return future.result() if future.done() else None

    end = time.monotonic() + timeout
    state_client = node.create_client(GetState, "/hardware_bridge/get_state")
    start_client = node.create_client(Trigger, topics.SRV_START)
    try:
        while True:
            reply = (
                call(state_client, GetState.Request()) if state_client.service_is_ready() else None
            )
            if reply is not None and reply.current_state.label == "active":
                break
            if time.monotonic() > end:
                raise RuntimeError("the hardware bridge did not become active")
            spin()
        while True:
            # The controller refuses while the bridge's inactive-time faults are fresh.
            reply = (
                call(start_client, Trigger.Request()) if start_client.service_is_ready() else None
            )
            if reply is not None and reply.success and standing_up(node, spin):
                print(f"legkit-sim: hardware bridge active; {reply.message}", flush=True)
                return
            if time.monotonic() > end:
                why = reply.message if reply is not None else "no /controller/start service"
                raise RuntimeError(f"the controller did not start: {why}")
            for _ in range(5):
                spin()
    finally:
        node.destroy_client(state_client)
        node.destroy_client(start_client)


if __name__ == "__main__":
    sys.exit(main())
