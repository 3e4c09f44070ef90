"""legkit-report: an MCAP recording -> the run's PNG summary and figures.

    legkit-report runs/20250101-120000/run.mcap            # writes run.png, run.summary.*
    legkit-report legkit_20250101-120000.mcap --out report/ --gif

Rebuilds the run from its recorded public topics (/odom, /cmd_vel, /joint_states,
/clock, /controller/state, /diagnostics) with the same RecordingBuilder the live
monitor uses, then writes the same plot, summary text and JSON as `legkit-sim`.
Messages are decoded from the definitions stored in the file, not from the
installed message packages, so a file that reports here opens in other tools too.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mcap.exceptions import McapError

from legkit.robots import get_profile
from legkit_ros import topics
from legkit_ros.mcap_file import read_messages, read_metadata
from legkit_ros.run_monitor import Recording, RecordingBuilder
from legkit_ros.run_report import format_summary, plot, replay_samples, summarize

USED = [
    topics.ODOM,
    topics.CMD_VEL,
    topics.JOINT_STATES,
    topics.CLOCK,
    topics.CONTROLLER_STATE,
    topics.DIAGNOSTICS,
]


def rebuild(path: Path, robot: str) -> Recording:
    """The run's Recording, from the messages in the file in arrival order."""
    builder = RecordingBuilder(get_profile(robot))
    clock = 0.0
    for topic, msg, log_time_ns in read_messages(path, USED):
        if topic == topics.ODOM:
            builder.on_odom(msg, log_time_ns * 1e-9)
        elif topic == topics.JOINT_STATES:
            builder.on_joint_state(msg)
        elif topic == topics.CLOCK:
            clock = msg.clock.sec + msg.clock.nanosec * 1e-9
        elif topic == topics.CMD_VEL:
            builder.on_cmd(msg)
        elif topic == topics.CONTROLLER_STATE:
            builder.on_mode(msg, clock)
        elif topic == topics.DIAGNOSTICS:
            builder.on_diag(msg)
    return builder.rec


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="legkit-report", description=__doc__.split("\n\n")[0])
    ap.add_argument("recording", type=Path, help="an .mcap file from legkit-sim --record")
    ap.add_argument("--out", type=Path, default=None, help="folder (default: the file's)")
    ap.add_argument("--robot", default=None, help="robot profile (default: from the file)")
    ap.add_argument("--gif", action="store_true", help="also render an animated GIF")
    args = ap.parse_args(argv)
    try:
        robot = args.robot or read_metadata(args.recording).get("robot", "quadruped")
        profile = get_profile(robot)
        rec = rebuild(args.recording, robot)
    except (OSError, ValueError, McapError) as err:  # unreadable, not MCAP, unknown robot
        print(f"legkit-report: cannot read {args.recording}: {err}", file=sys.stderr)
        return 1
    if not rec.t:
        print(f"legkit-report: {args.recording} has no {topics.ODOM} messages", file=sys.stderr)
        return 1
    out = args.out or args.recording.parent
    out.mkdir(parents=True, exist_ok=True)
    stem = args.recording.stem
    wall = rec.wall[-1] - rec.wall[0]
    summary = summarize(profile, rec, wall, "recording")
    (out / f"{stem}.summary.json").write_text(json.dumps(summary, indent=2, default=float))
    (out / f"{stem}.summary.txt").write_text(format_summary(summary) + "\n")
    written = [plot(rec, out / f"{stem}.png")]
    if args.gif:
        from legkit.sim.replay import render_replay

        samples = replay_samples(rec, fps=10)
        written.append(render_replay(profile, samples, out / f"{stem}.gif", fps=10))
    print(format_summary(summary))
    print("report: " + ", ".join(str(p) for p in written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
