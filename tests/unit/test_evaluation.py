"""Policy scoring: the fixed command set, the settle window, and each reported metric."""

from __future__ import annotations

import math

import numpy as np
import pytest

from legkit.evaluation import (
    GRAVITY,
    SEGMENT_S,
    Trace,
    command_at,
    evaluation_schedule,
    score,
    settled,
    urdf_mass,
)
from legkit.robots import QUADRUPED

RATE = 50.0


def trace(command, velocity, seconds=10.0, power=0.0, speed=None, fell=False) -> Trace:
    """A trace at 50 Hz holding one command and one achieved velocity throughout."""
    n = round(seconds * RATE)
    t = np.arange(1, n + 1) / RATE
    speed = np.hypot(*velocity[:2]) if speed is None else speed
    position = np.zeros((n, 3))
    position[:, 0] = speed * t
    return Trace(
        t,
        np.tile(command, (n, 1)),
        np.tile(velocity, (n, 1)),
        np.full(n, power),
        position,
        fell,
    )


def test_schedule_is_fixed_scaled_to_the_ranges_and_fills_each_episode() -> None:
    a = evaluation_schedule((1.0, 0.5, 1.0), episodes=10)
    assert a == evaluation_schedule((1.0, 0.5, 1.0), episodes=10)
    assert len(a) == 10
    for episode in a:
        assert sum(s.duration_s for s in episode) == pytest.approx(20.0)
        assert all(s.duration_s == SEGMENT_S for s in episode)
    commands = np.array([s.command for episode in a for s in episode])
    assert np.abs(commands).max(axis=0) == pytest.approx([1.0, 0.5, 1.0])
    # Five episodes visit every command of the set once: forward, backward, sideways, turning.
    first_five = {tuple(s.command) for episode in a[:5] for s in episode}
    assert {(1.0, 0.0, 0.0), (-1.0, 0.0, 0.0), (0.0, 0.5, 0.0), (0.0, 0.0, -1.0)} <= first_five


def test_schedule_rejects_bad_sizes() -> None:
    with pytest.raises(ValueError, match="episodes >= 1"):
        evaluation_schedule((1.0, 0.5, 1.0), episodes=0)
    with pytest.raises(ValueError, match="max_command"):
        evaluation_schedule((1.0, -0.5, 1.0), episodes=1)


def test_command_at_follows_the_segments_and_holds_the_last() -> None:
    (episode,) = evaluation_schedule((1.0, 0.5, 1.0), episodes=1)
    assert np.array_equal(command_at(episode, 0.0), episode[0].command)
    assert np.array_equal(command_at(episode, SEGMENT_S + 0.01), episode[1].command)
    assert np.array_equal(command_at(episode, 99.0), episode[-1].command)


def test_settled_skips_one_second_after_every_command_change() -> None:
    t = np.arange(1, 201) / RATE  # 4 s
    command = np.zeros((200, 3))
    command[100:, 0] = 1.0  # changes at 2.02 s
    keep = settled(t, command)
    assert not keep[:50].any() and keep[50:100].all()  # from 1.0 s after the first sample
    assert not keep[100:150].any() and keep[150:].all()


def test_perfect_tracking_scores_zero_error() -> None:
    s = score([trace([0.5, 0.2, 0.3], [0.5, 0.2, 0.3])], mass=10.0)
    assert s.lin_vel_rmse == pytest.approx(0.0) and s.yaw_rate_rmse == pytest.approx(0.0)
    assert s.falls == 0 and s.episodes == 1 and s.fall_rate == 0.0


def test_tracking_errors_are_rms_of_the_settled_samples() -> None:
    # 0.3 m/s short in x and 0.4 m/s off in y: |error| = 0.5 m/s; yaw 0.2 rad/s short.
    s = score([trace([1.0, 0.0, 0.5], [0.7, 0.4, 0.3])], mass=10.0)
    assert s.lin_vel_rmse == pytest.approx(0.5)
    assert s.yaw_rate_rmse == pytest.approx(0.2)
    assert s.scored_seconds == pytest.approx(9.0, abs=0.03)  # 10 s less the settle second


def test_falls_count_episodes_that_ended_in_one() -> None:
    good = trace([0.5, 0.0, 0.0], [0.5, 0.0, 0.0])
    bad = trace([0.5, 0.0, 0.0], [0.5, 0.0, 0.0], seconds=3.0, fell=True)
    s = score([good, bad, good], mass=10.0)
    assert (s.falls, s.episodes) == (1, 3)
    assert s.fall_rate == pytest.approx(1 / 3)


def test_cost_of_transport_is_energy_over_weight_times_distance() -> None:
    # 200 W for 10 s while covering 10 m at 1 m/s: CoT = 2000 J / (10 kg * g * 10 m).
    s = score([trace([1.0, 0.0, 0.0], [1.0, 0.0, 0.0], power=200.0)], mass=10.0)
    assert s.cost_of_transport == pytest.approx(2000.0 / (10.0 * GRAVITY * 10.0), rel=0.01)
    standing = score([trace([0.0, 0.0, 0.0], [0.0, 0.0, 0.0], power=50.0)], mass=10.0)
    assert math.isnan(standing.cost_of_transport)  # no distance: undefined, not infinite


def test_score_rejects_a_massless_robot() -> None:
    with pytest.raises(ValueError, match="mass"):
        score([], mass=0.0)


def test_urdf_mass_sums_the_links() -> None:
    assert urdf_mass(QUADRUPED.urdf) == pytest.approx(13.8, abs=0.3)


def test_a_second_round_of_episodes_pairs_the_commands_differently() -> None:
    episodes = evaluation_schedule((1.0, 0.5, 1.0), episodes=10)
    first = [tuple(tuple(s.command) for s in e) for e in episodes[:5]]
    second = [tuple(tuple(s.command) for s in e) for e in episodes[5:]]
    assert not set(first) & set(second)  # no episode repeats one of the first round
    assert {c for e in first for c in e} == {c for e in second for c in e}  # same commands
