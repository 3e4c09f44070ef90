"""Every launch file passes the static check; the check itself catches what it claims to.

`launch` and `launch_ros` cannot be installed here, so the files are executed against
stand-ins with Jazzy's signatures (tests/deploy/launch_check.py) and evaluated for
every combination of their arguments' allowed values.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.deploy.launch_check import check_launch_file
from tests.deploy.package_facts import PACKAGE_DIR

LAUNCH_FILES = sorted((PACKAGE_DIR / "launch").glob("*.launch.py"))


def test_the_sim_robot_and_teleop_launch_files_exist():
    assert [f.name for f in LAUNCH_FILES] == [
        "robot.launch.py",
        "sim.launch.py",
        "teleop.launch.py",
    ]


@pytest.mark.parametrize("path", LAUNCH_FILES, ids=lambda p: p.name)
def test_launch_file_passes_the_static_check(path):
    assert check_launch_file(path) == []


# -------------------------------------------------------------- the check itself
GOOD = '''
"""A test launch file.

Arguments:
    robot:=quadruped|exoskeleton   which robot
    record:=false|true             record
"""
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node
from launch_ros.substitutions import FindPackageShare


def generate_launch_description():
    config = PathJoinSubstitution([FindPackageShare("legkit_ros"), "config"])
    robot = LaunchConfiguration("robot")
    return LaunchDescription([
        DeclareLaunchArgument("robot", default_value="quadruped",
                              choices=["quadruped"], description="which robot"),
        DeclareLaunchArgument("record", default_value="false",
                              choices=["false", "true"], description="record"),
        Node(package="legkit_ros", executable="sim_bridge", name="sim_bridge", namespace="",
             parameters=[[PathJoinSubstitution([config, robot]), ".yaml"], {"gui": False}]),
        Node(package="legkit_ros", executable="mcap_recorder", name="mcap_recorder",
             namespace="", condition=IfCondition(LaunchConfiguration("record"))),
    ])
'''


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "test.launch.py"
    path.write_text(textwrap.dedent(text))
    return path


def test_a_correct_file_passes(tmp_path):
    assert check_launch_file(write(tmp_path, GOOD)) == []


@pytest.mark.parametrize(
    "old, new, problem",
    [
        ('executable="sim_bridge"', 'executable="sim_brige"', "executable 'sim_brige' is not a"),
        (
            'package="legkit_ros", executable="sim',
            'package="joy", executable="sim',
            "package 'joy'",
        ),
        ('[config, robot]), ".yaml"]', '[config, robot]), ".yml"]', "config/quadruped.yml is not"),
        ('{"gui": False}', '{"gravity": 9.8}', "parameter 'gravity' is not declared by sim_bridge"),
        ('description="record"', 'description=""', "argument 'record' has no description"),
        ("record:=false|true", "record false|true", "not documented in the file's docstring"),
        ('default_value="false",', 'default_value="no",', "default 'no' is not in"),
        ('LaunchConfiguration("record")', 'LaunchConfiguration("rec")', "'rec' is not a declared"),
        ('name="sim_bridge", namespace=""', 'name="sim_bridge"', "give name= and namespace="),
        ('[config, robot]), ".yaml"]', '[config, [robot, ".yaml"]])]', "refuses nested lists"),
        (
            "from launch_ros.actions import Node",
            "from launch_ros.actions import Node\nfrom launch.actions import GroupAction",
            "cannot be loaded",
        ),
    ],
)
def test_the_check_finds(tmp_path, old, new, problem):
    assert old in GOOD
    problems = check_launch_file(write(tmp_path, GOOD.replace(old, new)))
    assert any(problem in p for p in problems), problems


def test_a_node_launched_only_with_some_arguments_is_checked_with_them(tmp_path):
    broken = GOOD.replace('executable="mcap_recorder"', 'executable="recorder"')
    (problem,) = check_launch_file(write(tmp_path, broken))
    assert "executable 'recorder'" in problem and problem.endswith(
        "(with robot:=quadruped record:=true)"
    )
