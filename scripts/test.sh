#!/usr/bin/env bash
# The test suite: unit tests of the core, then the ROS 2 graph as real processes
# over real DDS (each run on its own ROS_DOMAIN_ID), and tests/deploy: colcon build
# of ros2_ws, static launch-file check, hadolint on docker/. Extra arguments go to pytest.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$(bash "$ROOT/scripts/setup_env.sh")"
source "$ROOT/scripts/ros_env.sh"
cd "$ROOT"
"$VENV/bin/ruff" check src ros2_ws tests bench training
exec "$VENV/bin/python" -m pytest -q "$@"
