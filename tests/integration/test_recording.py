"""Recording a run to MCAP: the file reopens with the mcap reader, decodes from its own
schemas (as Foxglove and ros2 bag read it), and legkit-report plots it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from mcap.reader import make_reader
from mcap_ros2.decoder import DecoderFactory
from rclpy.serialization import deserialize_message
from sensor_msgs.msg import JointState

from legkit.robots import QUADRUPED
from legkit_ros.mcap_recorder import RECORDED

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def recorded_run(tmp_path_factory):
    """One short composed run with --record; (run folder, MCAP path)."""
    out = tmp_path_factory.mktemp("recorded")
    bag = out / "run.mcap"
    result = subprocess.run(
        [sys.executable, "-m", "legkit_ros.bringup", "--duration", "3", "--no-gif"]
        + ["--out", str(out), "--record", str(bag)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert str(bag) in result.stdout
    (run_dir,) = [p for p in out.iterdir() if p.is_dir()]
    return run_dir, bag


def test_the_recording_is_a_ros2_mcap_with_every_main_topic(recorded_run):
    _, bag = recorded_run
    with open(bag, "rb") as stream:
        reader = make_reader(stream)
        header, summary = reader.get_header(), reader.get_summary()
    assert header.profile == "ros2"
    channels = {c.topic: c for c in summary.channels.values()}
    assert sorted(channels) == sorted(RECORDED)
    for topic, channel in channels.items():
        schema = summary.schemas[channel.schema_id]
        assert channel.message_encoding == "cdr"
        assert schema.encoding == "ros2msg"
        msg_type = RECORDED[topic][0]
        assert schema.name == f"{msg_type.__module__.split('.')[0]}/msg/{msg_type.__name__}"
    counts = {
        c.topic: summary.statistics.channel_message_counts.get(cid, 0)
        for cid, c in summary.channels.items()
    }
    # 3 s of sim: 250 Hz states, 50 Hz odometry and policy; nothing on /joy or /estop.
    assert counts["/joint_states"] > 500 and counts["/clock"] > 500
    assert counts["/odom"] > 100 and counts["/joint_targets"] > 50
    assert counts["/cmd_vel"] > 0 and counts["/diagnostics"] > 0
    assert counts["/controller/state"] >= 1
    assert counts["/joy"] == counts["/estop"] == 0


def test_messages_decode_from_the_stored_schemas_and_match_rclpy(recorded_run):
    _, bag = recorded_run
    modes, stamps = [], []
    with open(bag, "rb") as stream:
        reader = make_reader(stream, decoder_factories=[DecoderFactory()])
        for _, channel, message, decoded in reader.iter_decoded_messages(
            topics=["/joint_states", "/controller/state", "/odom"]
        ):
            if channel.topic == "/controller/state":
                modes.append(decoded.data)
            elif channel.topic == "/odom":
                stamps.append(decoded.header.stamp.sec + decoded.header.stamp.nanosec * 1e-9)
            elif not stamps:  # one joint state: same fields through rclpy's own CDR
                native = deserialize_message(message.data, JointState)
                assert tuple(decoded.name) == tuple(native.name) == QUADRUPED.joint_names
                assert list(decoded.position) == list(native.position)
                assert len(decoded.effort) == QUADRUPED.num_joints
    assert modes[-1] == "ACTIVE"
    assert stamps == sorted(stamps) and stamps[-1] > 2.5  # sim time, in order


def test_legkit_report_turns_the_recording_into_the_plot_and_summary(recorded_run, tmp_path):
    run_dir, bag = recorded_run
    result = subprocess.run(
        [sys.executable, "-m", "legkit_ros.mcap_report", str(bag), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "run.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "run.png").stat().st_size > 10_000
    report = json.loads((tmp_path / "run.summary.json").read_text())
    live = json.loads((run_dir / "summary.json").read_text())
    # The report must see the run the live summary saw (whether the policy kept the robot
    # up is the main-job test's verdict, not this one's).
    assert report["robot"] == "quadruped" and report["falls"] == live["falls"]
    assert report["final_mode"] == "ACTIVE"
    heights = report["base_height"]["mean_active"], live["base_height"]["mean_active"]
    assert heights[0] == pytest.approx(heights[1], abs=0.01)  # same run, seen twice
    assert "controller rate [Hz]" in report["timing"]  # from the recorded /diagnostics


def test_legkit_report_refuses_a_file_that_is_not_mcap(tmp_path):
    bogus = tmp_path / "notes.mcap"
    bogus.write_text("not a recording")
    result = subprocess.run(
        [sys.executable, "-m", "legkit_ros.mcap_report", str(bogus)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.startswith(f"legkit-report: cannot read {bogus}:")
