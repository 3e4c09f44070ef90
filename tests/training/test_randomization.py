"""Per-episode randomization draws and the latency buffers."""

from __future__ import annotations

import numpy as np
import pytest

from legkit_train.config import Randomization, RandomTerm
from legkit_train.randomization import (
    ActionDelay,
    ObservationDelay,
    SensorSnapshot,
    sample_episode,
)

PHYSICS_DT = 0.004  # s, 250 Hz


def snapshot(label: float) -> SensorSnapshot:
    """A fake reading whose every value is `label`, to tell readings apart."""
    return SensorSnapshot(
        np.full(4, label), np.full(3, label), np.full(2, label), np.full(2, label)
    )


def test_disabled_terms_take_their_nominal_values() -> None:
    sample = sample_episode(Randomization.none(), np.random.default_rng(0), 12, PHYSICS_DT)
    assert sample.ground_friction == 1.0 and sample.added_base_mass == 0.0
    assert not sample.base_com_offset.any()
    assert (sample.motor_strength == 1.0).all()
    assert sample.kp_scale == sample.kd_scale == 1.0
    assert sample.observation_delay_steps == sample.action_delay_steps == 0
    assert sample.noise_scale == 0.0


def test_enabled_terms_stay_within_their_ranges_and_latency_is_whole_physics_steps() -> None:
    rng = np.random.default_rng(0)
    for _ in range(50):
        s = sample_episode(Randomization(), rng, 12, PHYSICS_DT)
        assert 0.5 <= s.ground_friction <= 1.25 and -1.0 <= s.added_base_mass <= 2.0
        assert (np.abs(s.base_com_offset) <= 0.02).all()
        assert ((0.9 <= s.motor_strength) & (s.motor_strength <= 1.1)).all()
        assert 0 <= s.observation_delay_steps <= 5 and 0 <= s.action_delay_steps <= 5


def test_switching_one_term_off_does_not_change_the_others() -> None:
    config = Randomization()
    config.ground_friction = RandomTerm(enabled=False, low=0.5, high=1.25)
    on = sample_episode(Randomization(), np.random.default_rng(4), 12, PHYSICS_DT)
    off = sample_episode(config, np.random.default_rng(4), 12, PHYSICS_DT)
    assert off.ground_friction == 1.0 != on.ground_friction
    assert off.added_base_mass == on.added_base_mass
    np.testing.assert_array_equal(off.motor_strength, on.motor_strength)


@pytest.mark.parametrize("delay", [0, 2, 4, 5, 7])
def test_observation_delay_returns_the_reading_that_many_physics_steps_old(delay: int) -> None:
    decimation = 5
    buffer = ObservationDelay(delay, snapshot(0.0), decimation)
    step = 0
    for _policy_step in range(4):
        for i in range(decimation):
            step += 1
            if buffer.wanted(decimation - 1 - i):
                buffer.record(snapshot(float(step)))
        # Readings from before the episode show the reset state (step 0).
        assert buffer.delayed().joint_positions[0] == max(step - delay, 0)


@pytest.mark.parametrize("delay", [0, 3, 5, 7])
def test_observation_delay_wants_one_snapshot_per_policy_step(delay: int) -> None:
    decimation = 5
    buffer = ObservationDelay(delay, snapshot(0.0), decimation)
    wanted = [buffer.wanted(decimation - 1 - i) for i in range(decimation)]
    assert sum(wanted) == 1


def test_observation_delay_rejects_a_negative_delay_or_decimation() -> None:
    with pytest.raises(ValueError, match="delay"):
        ObservationDelay(-1, snapshot(0.0), 5)
    with pytest.raises(ValueError, match="decimation"):
        ObservationDelay(0, snapshot(0.0), 0)


def test_noise_is_zero_at_scale_zero_and_bounded_by_the_levels() -> None:
    clean = snapshot(0.0)
    assert clean.with_noise(np.random.default_rng(0), 0.0) is clean
    noisy = clean.with_noise(np.random.default_rng(0), 1.0)
    assert 0.0 < np.abs(noisy.joint_velocities).max() <= 1.5
    assert np.abs(noisy.joint_positions).max() <= 0.01


def test_action_delay_holds_the_previous_target_for_the_delay() -> None:
    delay = ActionDelay(2, initial_target=np.zeros(1))
    delay.issue(np.ones(1), step=0)
    assert [delay.target_at(s)[0] for s in range(4)] == [0.0, 0.0, 1.0, 1.0]
    delay.issue(np.full(1, 2.0), step=4)
    delay.issue(np.full(1, 3.0), step=5)
    assert [delay.target_at(s)[0] for s in range(4, 9)] == [1.0, 1.0, 2.0, 3.0, 3.0]
