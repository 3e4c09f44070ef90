"""Fault: a motor stops answering on the CAN bus (lost power, broken wiring).

Safe state: after `max_missed_replies` exchanges without its reply the hardware bridge
latches FAULT, every motor damps for `exit_damping` and then leaves motor mode; the
controller, told on /safety/faults, is in DAMPING and its next command holds no PD target.
One log line names the joint, its bus and id, and the number of missed frames.
"""

from __future__ import annotations

import pytest

from tests.faults.hardware_drill import (
    FAULTED_JOINT,
    assert_controller_sends_no_pd_target_one_period_after,
    ensure_ros,
    fault_lines,
    run_drill,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def drill(tmp_path_factory):
    ensure_ros()
    return run_drill(tmp_path_factory.mktemp("can_timeout"), "no_reply")


def test_one_fault_line_names_the_silent_motor(drill):
    (line,) = fault_lines(drill.bridge_log)
    assert f"FAULT {FAULTED_JOINT} (can3 id 3): no reply for 10 consecutive frames" in line


def test_controller_stops_commanding_pd_targets_within_one_period(drill):
    assert_controller_sends_no_pd_target_one_period_after(drill)


def test_every_answering_motor_leaves_motor_mode(drill):
    assert "FAULT handling done: 11 of 12 motors confirmed out of motor mode" in drill.bridge_log
    assert f"no confirmation from {FAULTED_JOINT}" in drill.bridge_log
