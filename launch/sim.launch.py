"""ros2 launch: the legkit graph in simulation (ROS 2 Jazzy with legkit_ros built by colcon).

    ros2 launch launch/sim.launch.py policy:=quadruped_stand.onnx

Same nodes, parameters and start order as `legkit-sim --processes`, minus its run
summary. Arguments:
    robot   robot profile name (quadruped)
    policy  ONNX policy: a path, or a file name in models/
"""

from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node
from launch_ros.substitutions import FindPackageShare

from launch import LaunchDescription

# The robot (sim bridge) last, as in legkit_ros.processes.START_ORDER.
NODES = [
    ("policy_node", "policy"),
    ("observation_node", "observation"),
    ("command_source", "command_source"),
    ("controller_node", "controller"),
    ("sim_bridge", "sim_bridge"),
]


def generate_launch_description() -> LaunchDescription:
    robot = LaunchConfiguration("robot")
    params = PathJoinSubstitution([FindPackageShare("legkit_ros"), "config", [robot, ".yaml"]])
    common = {"policy": LaunchConfiguration("policy")}
    return LaunchDescription(
        [
            DeclareLaunchArgument(
                "robot", default_value="quadruped", description="robot profile: quadruped"
            ),
            DeclareLaunchArgument(
                "policy",
                default_value="quadruped_stand.onnx",
                description="ONNX policy path or file name in models/",
            ),
            *[
                Node(
                    package="legkit_ros",
                    executable=executable,
                    name=name,
                    output="screen",
                    parameters=[params, common, {"use_sim_time": name != "sim_bridge"}],
                )
                for executable, name in NODES
            ],
        ]
    )
