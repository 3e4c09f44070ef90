"""Loop and latency statistics report what the loop actually did."""

import pytest

from legkit.timing import LatencyMonitor, RateMonitor


def test_a_perfect_loop_has_its_nominal_rate_and_no_error():
    m = RateMonitor(0.004)
    for k in range(101):
        m.tick(k * 0.004)
    s = m.summary()
    assert s["rate_hz"] == pytest.approx(250.0)
    assert s["period_error_p99_ms"] == pytest.approx(0.0, abs=1e-9)
    assert s["missed_deadlines"] == 0


def test_a_period_over_one_and_a_half_nominal_is_a_missed_deadline():
    m = RateMonitor(0.01)
    for t in (0.0, 0.01, 0.02, 0.036, 0.046):  # one 16 ms gap
        m.tick(t)
    assert m.summary()["missed_deadlines"] == 1
    assert m.summary()["cycles"] == 4


def test_latency_percentiles_in_milliseconds():
    m = LatencyMonitor()
    for k in range(1, 101):
        m.add(k * 1e-3)
    s = m.summary("x")
    assert s["x_p50_ms"] == pytest.approx(50.5)
    assert s["x_max_ms"] == pytest.approx(100.0)


def test_ring_buffer_keeps_only_the_latest_samples():
    m = LatencyMonitor(capacity=10)
    for _ in range(100):
        m.add(1.0)
    for _ in range(10):
        m.add(0.001)
    assert m.summary("x")["x_max_ms"] == pytest.approx(1.0)
    assert m.summary("x")["x_samples"] == 110


def test_rejects_a_non_positive_period():
    with pytest.raises(ValueError):
        RateMonitor(0.0)
