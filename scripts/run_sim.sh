#!/usr/bin/env bash
# The main job: the full stack in simulation, headless, default robot and shipped
# policy, a scripted velocity command; prints a summary and writes runs/<time>/.
# Extra arguments go to legkit-sim (try --help, --processes, --duration 30).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$(bash "$ROOT/scripts/setup_env.sh")"
source "$ROOT/scripts/ros_env.sh"
cd "$ROOT"
exec "$VENV/bin/legkit-sim" "$@"
