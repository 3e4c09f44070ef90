#!/usr/bin/env bash
# The image's entrypoint: run one legkit executable from the image's venv with the
# DDS settings of scripts/ros_env.sh (ROS_DOMAIN_ID and the discovery range come
# from the environment, e.g. from docker compose).
#
#   docker run legkit                                  # legkit-sim, the main job
#   docker run legkit sim_bridge --ros-args -p gui:=false
set -euo pipefail
source /legkit/scripts/ros_env.sh
cmd="${1:-legkit-sim}"
if [ "$#" -gt 0 ]; then shift; fi
if [ ! -x "/legkit/.venv/bin/$cmd" ]; then
    echo "legkit image: unknown command '$cmd'; commands: legkit-sim legkit-report" \
        "sim_bridge controller_node observation_node policy_node command_source" \
        "teleop_node joystick_reader keyboard_teleop mcap_recorder" >&2
    exit 2
fi
exec "/legkit/.venv/bin/$cmd" "$@"
