"""Specification of the exoskeleton's assistance shaping (legkit.control.assistance)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from legkit.control.assistance import AssistanceConfig, AssistanceShaper, AssistMode
from legkit.robots import EXOSKELETON

DT = 0.002  # s: the shaper runs at the actuator rate (500 Hz)
WALKING = (np.array([0.3, -0.2]), np.array([2.0, -1.5]))  # thigh angles [rad], rates [rad/s]
STANDING = (np.array([0.02, -0.01]), np.array([0.05, 0.0]))
SQUAT_BOTTOM = (np.array([1.1, 1.1]), np.array([0.0, 0.0]))  # still, but far from vertical


class Run:
    """Feeds a shaper fresh sensors and a command every tick, as the controller would."""

    def __init__(self, config: AssistanceConfig | None = None, ramped: bool = True) -> None:
        self.lines: list[str] = []
        self.shaper = AssistanceShaper(config or AssistanceConfig(), 2, log=self.lines.append)
        self.shaper.reset(0.0, ramped=ramped)
        self.now = 0.0

    def ticks(
        self,
        seconds: float,
        command: tuple[float, float] = (10.0, -10.0),
        sensors: tuple[np.ndarray, np.ndarray] = WALKING,
        fresh_sensors: bool = True,
        fresh_command: bool = True,
    ) -> np.ndarray:
        """Run for `seconds`; the outputs of every tick, (ticks, 2)."""
        out = []
        for _ in range(round(seconds / DT)):
            self.now += DT
            if fresh_sensors:
                self.shaper.on_sensors(self.now, *sensors)
            if fresh_command:
                self.shaper.on_command(self.now, np.array(command))
            out.append(self.shaper.update(self.now))
        return np.array(out)


def test_output_never_exceeds_the_torque_limit() -> None:
    out = Run().ticks(1.0, command=(500.0, -500.0))
    assert np.abs(out).max() == pytest.approx(18.0)
    np.testing.assert_allclose(out[-1], [18.0, -18.0])


def test_torque_limit_comes_from_the_profile_and_cannot_exceed_it() -> None:
    assert AssistanceConfig.for_profile(EXOSKELETON).torque_limit == 18.0
    assert AssistanceConfig.for_profile(EXOSKELETON, torque_limit=12.0).torque_limit == 12.0
    with pytest.raises(ValueError, match="exceeds the actuators' 18.0 N m"):
        AssistanceConfig.for_profile(EXOSKELETON, torque_limit=25.0)


def test_a_step_request_is_low_pass_filtered() -> None:
    # Slew limit out of the way: the first-order filter alone shapes the response.
    cutoff = 8.0
    run = Run(AssistanceConfig(cutoff_hz=cutoff, slew_rate=1e6))
    out = run.ticks(0.2, command=(10.0, 0.0))[:, 0]
    tau = 1.0 / (2 * math.pi * cutoff)
    assert out[0] < 1.0  # no jump
    t_63 = (np.argmax(out >= 10.0 * (1 - math.exp(-1))) + 1) * DT
    assert t_63 == pytest.approx(tau, abs=2 * DT)
    assert out[-1] == pytest.approx(10.0, abs=0.01)


def test_torque_changes_no_faster_than_the_slew_rate() -> None:
    run = Run(AssistanceConfig(slew_rate=300.0, cutoff_hz=1000.0))
    out = run.ticks(0.5, command=(18.0, -18.0))
    out = np.vstack([out, run.ticks(0.5, command=(-18.0, 18.0))])
    steps = np.abs(np.diff(out, axis=0))
    assert steps.max() <= 300.0 * DT + 1e-9
    assert steps.max() == pytest.approx(300.0 * DT)  # the limit is what binds


def test_assistance_ramps_in_over_the_first_seconds() -> None:
    run = Run(AssistanceConfig(ramp_in_s=2.0), ramped=False)
    out = run.ticks(3.0, command=(10.0, 10.0))[:, 0]
    at = {t: out[round(t / DT) - 1] for t in (0.1, 0.5, 1.0, 1.5, 2.5)}
    assert at[0.1] < 0.1
    assert at[0.5] < at[1.0] < at[1.5] < 10.0
    assert at[1.0] == pytest.approx(5.0, abs=0.3)  # smoothstep: half way at half time
    assert at[2.5] == pytest.approx(10.0, abs=0.01)


def test_transparent_mode_fades_to_zero_and_assistance_ramps_back_in() -> None:
    run = Run()
    run.ticks(0.5)
    run.shaper.set_transparent(True)
    out = run.ticks(0.2)
    assert run.shaper.mode is AssistMode.TRANSPARENT
    assert np.abs(np.diff(out, axis=0)).max() <= 300.0 * DT + 1e-9  # a fade, not a snap
    np.testing.assert_allclose(out[-1], 0.0, atol=1e-3)
    run.shaper.set_transparent(False)
    out = run.ticks(2.5)[:, 0]
    assert out[round(0.5 / DT)] < 5.0 < out[-1]  # ramping in again, then full
    assert run.shaper.mode is AssistMode.ASSIST


def test_a_wearer_standing_still_gets_zero_torque_and_assistance_resumes_on_walking() -> None:
    run = Run()
    run.ticks(0.5)
    out = run.ticks(0.9, sensors=STANDING)
    assert run.shaper.mode is AssistMode.ASSIST  # not yet: stillness must last 1 s
    assert abs(out[-1, 0]) > 9.0
    out = run.ticks(0.5, sensors=STANDING)
    assert run.shaper.mode is AssistMode.STANDSTILL
    np.testing.assert_allclose(out[-1], 0.0, atol=1e-3)
    out = run.ticks(2.5)
    assert run.shaper.mode is AssistMode.ASSIST
    assert out[-1, 0] == pytest.approx(10.0, abs=0.05)


def test_holding_a_deep_squat_is_not_standing_still() -> None:
    run = Run()
    out = run.ticks(3.0, sensors=SQUAT_BOTTOM)
    assert run.shaper.mode is AssistMode.ASSIST
    assert out[-1, 0] == pytest.approx(10.0, abs=0.05)


@pytest.mark.parametrize("stale", ["fresh_sensors", "fresh_command"])
def test_stale_sensor_data_or_command_means_zero_torque_at_once(stale: str) -> None:
    run = Run()
    run.ticks(0.5)
    limit = AssistanceConfig().sensor_timeout_s if stale == "fresh_sensors" else 0.05
    out = run.ticks(limit + 4 * DT, **{stale: False})
    assert run.shaper.mode is AssistMode.STALE
    assert abs(out[round(limit / DT) - 2, 0]) > 9.0  # still within the timeout
    np.testing.assert_array_equal(out[-1], 0.0)  # exactly zero, no fade
    assert any("STALE" in line and "old" in line for line in run.lines)


def test_no_data_yet_means_zero_torque() -> None:
    shaper = AssistanceShaper(AssistanceConfig(), 2, log=lambda _: None)
    shaper.reset(0.0)
    np.testing.assert_array_equal(shaper.update(0.01), 0.0)
    assert shaper.mode is AssistMode.STALE


@pytest.mark.parametrize(
    "bad", [{"command": (math.nan, 0.0)}, {"sensors": (np.array([math.inf, 0.0]), np.zeros(2))}]
)
def test_non_finite_inputs_mean_zero_torque_until_valid_again(bad: dict) -> None:
    run = Run()
    run.ticks(0.5)
    out = run.ticks(0.01, **bad)
    assert run.shaper.mode is AssistMode.FAULT
    np.testing.assert_array_equal(out[-1], 0.0)
    run.ticks(3.0)
    assert run.shaper.mode is AssistMode.ASSIST


def test_estop_is_latched_until_reset_then_assistance_ramps_in() -> None:
    run = Run()
    run.ticks(0.5)
    run.shaper.estop(run.now, "button")
    out = run.ticks(1.0)
    np.testing.assert_array_equal(out, 0.0)
    assert run.shaper.mode is AssistMode.ESTOP
    run.shaper.reset(run.now)  # a session reset does not clear the latch either
    np.testing.assert_array_equal(run.ticks(0.1), 0.0)
    run.shaper.reset_estop(run.now)
    out = run.ticks(3.0)[:, 0]
    assert out[round(0.3 / DT)] < 2.0 and out[-1] == pytest.approx(10.0, abs=0.05)
    assert any("e-stop: button" in line for line in run.lines)


def test_each_mode_change_is_logged_once_with_its_reason() -> None:
    run = Run()
    run.ticks(0.5)
    run.ticks(0.1, fresh_sensors=False)
    run.ticks(0.5)
    transitions = [line for line in run.lines if "->" in line]
    assert len(transitions) == 3  # STALE -> ASSIST, ASSIST -> STALE, STALE -> ASSIST
    assert "thigh data" in transitions[1]


def test_config_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="slew_rate"):
        AssistanceConfig(slew_rate=0.0)
    with pytest.raises(ValueError, match="ramp_in_s"):
        AssistanceConfig(ramp_in_s=-1.0)


def test_a_fault_reported_elsewhere_cuts_torque_until_reports_stop_then_ramps_in() -> None:
    run = Run()
    assert run.ticks(0.5)[-1][0] == pytest.approx(10.0, abs=0.1)
    run.shaper.fault(run.now, "non-finite observation")
    assert run.shaper.mode is AssistMode.FAULT
    held = run.ticks(0.04)  # within command_timeout_s (50 ms) of the report
    assert np.all(held == 0.0)
    after = run.ticks(0.5)
    assert run.shaper.mode is AssistMode.ASSIST
    assert after[0][0] < 1.0 and after[-1][0] > 0.5  # ramping in, not snapping back
    assert any("fault: non-finite observation" in line for line in run.lines)


def test_a_fault_does_not_release_or_mask_a_latched_estop() -> None:
    run = Run()
    run.ticks(0.2)
    run.shaper.estop(run.now)
    run.shaper.fault(run.now, "late report")
    assert run.shaper.mode is AssistMode.ESTOP
    assert np.all(run.ticks(0.2) == 0.0) and run.shaper.mode is AssistMode.ESTOP
