"""What a killed node (policy or observation) must lead to, shared by both fault modules:
the controller's target watchdog trips once, within one period of its timeout, and every
command from then on is pure damping. Each module imports these tests and supplies the
`fault` fixture from `run_with_killed`.
"""

from __future__ import annotations

from tests.faults.graph import (
    SCRIPTED_PERIOD_NS,
    TARGET_PERIOD_NS,
    TARGET_TIMEOUT_PERIODS,
    stale_age_ms,
    start_scripted_graph,
    transition_lines,
    transitions,
)

PERIOD_MS = SCRIPTED_PERIOD_NS * 1e-6
TIMEOUT_MS = TARGET_TIMEOUT_PERIODS * TARGET_PERIOD_NS * 1e-6


def run_with_killed(tmp_path_factory, node: str):
    """ACTIVE on the scripted robot, then SIGKILL `node`; 0.2 s of sim in DAMPING."""
    graph, robot = start_scripted_graph(tmp_path_factory.mktemp(f"{node}_killed"))
    try:
        robot.wait_mode("ACTIVE", timeout=60.0)
        robot.wait_sim(0.2)
        graph.kill(node)
        robot.wait_mode("DAMPING")
        robot.wait_sim(0.2)
    finally:
        graph.close()
    return graph, robot


def test_controller_detects_stale_targets_within_one_period_of_the_timeout(fault):
    graph, _ = fault
    (line,) = transition_lines(graph["controller"], "DAMPING")
    assert "joint targets stale" in line
    assert TIMEOUT_MS < stale_age_ms(line) <= TIMEOUT_MS + PERIOD_MS + 1e-6


def test_commands_switch_once_from_pd_to_pure_damping(fault):
    _, robot = fault
    verdicts = robot.damping_verdicts_since("ACTIVE")
    switch = verdicts.index(True)
    assert switch > 0 and not any(verdicts[:switch])  # PD while ACTIVE
    assert all(verdicts[switch:])  # damping from then on, never PD again
    assert len(verdicts[switch:]) > 10  # 0.2 s of sim at 100 Hz, less what the watcher missed


def test_one_log_line_and_no_other_transition(fault):
    graph, _ = fault
    assert transitions(graph["controller"]) == [
        "IDLE -> STANDUP",
        "STANDUP -> ACTIVE",
        "ACTIVE -> DAMPING",
    ]
