"""Shared by the start-up fault modules (bad ONNX, contract mismatch): a policy file that
must be refused, with the rest of the graph running, and more such files tried alone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from legkit_ros.processes import NodeProcess
from tests.faults.graph import Graph, ScriptedRobot
from tests.integration.harness import node_process, wait_until

STANDING_S = 2.5
"""Sim time the graph runs: the stand-up ramp (1.5 s) and a second of holding the pose."""


def run_refusals(
    log_dir: Path, cases: dict[str, tuple[Callable[[Path], Path], str]], in_graph: str
) -> tuple[Graph, dict[str, tuple[Path, NodeProcess]]]:
    """Start a policy node on every case's file at once (each in its own folder), and
    for `in_graph` also the scripted robot, controller and observation node; wait for
    every policy node to exit, then let the graph run for STANDING_S of sim time.

    Returns the graph (closed, its recordings kept) and per case (policy file, policy
    process).
    """
    robot = ScriptedRobot().start()
    graph = Graph(log_dir, robot)
    nodes: dict[str, tuple[Path, NodeProcess]] = {}
    try:
        for case, (make, _) in cases.items():
            folder = log_dir / case
            folder.mkdir()
            path = make(folder)
            if case == in_graph:
                # Torques on the wire, which the scripted robot reads (graph.py).
                graph.start("controller", state_rate_hz=1.0e9 / robot.period_ns, pd_in_motor=False)
                graph.start("observation", policy=str(path))
                nodes[case] = (path, graph.start("policy", policy=str(path)))
            else:
                nodes[case] = (path, node_process("policy", folder, {"policy": str(path)}))
        for case, (_, node) in nodes.items():
            wait_until(lambda n=node: n.returncode is not None, 60.0, f"policy on {case} to exit")
        graph.wait_ready(["controller"])
        robot.go()
        robot.wait_sim(STANDING_S)
    finally:
        graph.close()
        for case, (_, node) in nodes.items():
            if case != in_graph:
                node.stop()
    return graph, nodes
