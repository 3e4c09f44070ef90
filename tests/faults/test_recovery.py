"""Recovery rule: after a recoverable fault the stack returns to ACTIVE only through
STANDUP, and only on an explicit /controller/start.

Robot: the pybullet sim bridge (at a quarter of real time, so that a loaded two-core
machine keeps the 50 Hz target path on time), standing under the shipped standing
policy. The fault: the policy process hangs (SIGSTOP) until the controller is in DAMPING
and the robot has sunk, then wakes up (SIGCONT), so fresh targets flow again.

Defined behaviour: with every input fresh again the controller stays in DAMPING (DAMPING
is sticky: a robot stopped for a reason never starts moving on its own); the robot lies
damped. /controller/start leads to STANDUP, the full stand-up ramp from the pose it lies
in, and ACTIVE once the ramp is done with fresh targets; the robot stands at its nominal
height again (within 5 cm; damped, it lay at about 10 cm). After stale joint states a
start is refused while they are stale (test_stale_joint_states.py); after an e-stop,
reset leads to IDLE (test_estop.py); after a clock jump the robot stands up on the new
time line (test_clock_jump_backwards.py).

Log lines (controller, one per transition): "ACTIVE -> DAMPING: joint targets stale: ...",
"DAMPING -> STANDUP: start requested", "STANDUP -> ACTIVE: stand-up complete, policy
targets fresh".
"""

from __future__ import annotations

import numpy as np
import pytest

from legkit_ros import topics
from tests.faults.graph import PROFILE, start_sim_graph, transitions

pytestmark = pytest.mark.integration

WAIT_S = 0.5  # sim time in DAMPING with fresh inputs before the start request


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    graph, watcher = start_sim_graph(tmp_path_factory.mktemp("recovery"))
    try:
        watcher.wait_mode("ACTIVE", timeout=90.0)
        graph.pause("policy")
        watcher.wait_mode("DAMPING")
        watcher.wait_sim(0.5)  # the robot sinks
        graph.resume("policy")
        resumed = watcher.now_ns
        watcher.wait_sim(WAIT_S)
        asked = watcher.now_ns
        started = watcher.call(topics.SRV_START)
        watcher.wait_mode("ACTIVE", timeout=30.0)
        watcher.wait_sim(0.5)
        end = watcher.now_ns  # the robot falls once the graph stops
    finally:
        graph.close()
    return graph, watcher, resumed, asked, started, end


def test_stays_in_damping_with_fresh_inputs_until_start_is_requested(run):
    _, watcher, resumed, asked, *_ = run
    assert watcher.rec.targets[-1][0] > resumed  # the policy is publishing again
    damping = [t for t, m in watcher.rec.modes if m == "DAMPING"]
    restart = [t for t, m in watcher.rec.modes if m == "STANDUP"][1]
    assert damping[0] < resumed and restart >= asked


def test_start_request_leads_through_a_full_stand_up_to_active(run):
    graph, watcher, _, asked, started, _ = run
    assert started.success
    assert watcher.modes() == ["IDLE", "STANDUP", "ACTIVE", "DAMPING", "STANDUP", "ACTIVE"]
    active = [t for t, m in watcher.rec.modes if m == "ACTIVE"][1]
    assert active - asked >= PROFILE.standup_duration * 1e9
    assert transitions(graph["controller"]) == [
        "IDLE -> STANDUP",
        "STANDUP -> ACTIVE",
        "ACTIVE -> DAMPING",
        "DAMPING -> STANDUP",
        "STANDUP -> ACTIVE",
    ]
    assert len(graph["controller"].log_lines("DAMPING -> STANDUP: start requested")) == 1


def test_robot_sank_while_damped_and_stands_at_nominal_height_again(run):
    _, watcher, resumed, asked, _, end = run
    nominal = PROFILE.nominal_base_height
    damped = [z for t, z in watcher.rec.heights if resumed <= t <= asked]
    assert min(damped) < nominal - 0.1
    last = np.array([z for t, z in watcher.rec.heights if end - 200_000_000 <= t <= end])
    assert len(last) > 5 and np.all(np.abs(last - nominal) < 0.05), (min(damped), last)
