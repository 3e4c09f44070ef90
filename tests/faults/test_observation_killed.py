"""Fault: the observation process is killed (SIGKILL: a crash, the OOM killer); it says
nothing.

Safe state: the policy gets no observations, so the controller gets no targets, and
its watchdog puts it in DAMPING once the newest target is older than 3 policy periods
(60 ms), within one controller period (10 ms at the scripted robot's 100 Hz) of that
timeout. Every command from then on is pure joint damping (-damping_kd x measured
velocity): the robot sinks down slowly instead of dropping.

Log line (controller, once): "ACTIVE -> DAMPING: joint targets stale: 70.0 ms > 60.0 ms".
"""

from __future__ import annotations

import pytest

from tests.faults.killed_node import (  # noqa: F401  (the shared tests run in this module)
    run_with_killed,
    test_commands_switch_once_from_pd_to_pure_damping,
    test_controller_detects_stale_targets_within_one_period_of_the_timeout,
    test_one_log_line_and_no_other_transition,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def fault(tmp_path_factory):
    return run_with_killed(tmp_path_factory, "observation")
