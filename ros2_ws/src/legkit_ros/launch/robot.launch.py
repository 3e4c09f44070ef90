"""ros2 launch: the legkit graph on the real robot (hardware bridge instead of the sim).

    ros2 launch legkit_ros robot.launch.py policy:=/path/to/walk.onnx
    ros2 launch legkit_ros teleop.launch.py       # on the operator's machine, same domain

The control nodes of sim.launch.py on the wall clock, and the hardware bridge (CAN
motors) in place of the sim bridge; parameters from config/<robot>.yaml with
config/<robot>_hardware.yaml on top. No scripted velocity command: the robot moves
only under teleop. Nothing powers up by itself: the bridge is a lifecycle node and the
controller does not auto-start (config/<robot>_hardware.yaml), so the operator runs

    ros2 lifecycle set /hardware_bridge configure    # open the buses, check every motor
    ros2 lifecycle set /hardware_bridge activate     # motor mode
    then the pad's stand-up button (or: ros2 service call /controller/start std_srvs/srv/Trigger)

Arguments:
    robot:=quadruped               robot profile and parameter file config/<robot>.yaml
    policy:=FILE                   ONNX policy: a path, or a file name in models/
    record:=false|true             record the main topics to an MCAP file
    record_path:=FILE.mcap         where (empty: legkit_<date>-<time>.mcap here)
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue
from launch_ros.substitutions import FindPackageShare

ARGUMENTS = [
    DeclareLaunchArgument(
        "robot",
        default_value="quadruped",
        choices=["quadruped"],
        description="robot profile and config/<robot>.yaml (only the quadruped has hardware)",
    ),
    DeclareLaunchArgument(
        "policy",
        default_value="quadruped_stand.onnx",
        description="ONNX policy: a path, or a file name in models/",
    ),
    DeclareLaunchArgument(
        "record",
        default_value="false",
        choices=["false", "true"],
        description="record the main topics to MCAP (ros2 bag, Foxglove, legkit-report)",
    ),
    DeclareLaunchArgument(
        "record_path",
        default_value="",
        description="MCAP file to record to (empty: legkit_<date>-<time>.mcap here)",
    ),
]


def generate_launch_description() -> LaunchDescription:
    robot = LaunchConfiguration("robot")
    config = PathJoinSubstitution([FindPackageShare("legkit_ros"), "config"])
    params = [  # config/<robot>.yaml, then config/<robot>_hardware.yaml on top
        [PathJoinSubstitution([config, robot]), ".yaml"],
        [PathJoinSubstitution([config, robot]), "_hardware.yaml"],
    ]
    policy = ParameterValue(LaunchConfiguration("policy"), value_type=str)
    record_path = LaunchConfiguration("record_path")

    def node(executable: str, name: str, *extra: dict, **kwargs) -> Node:
        # namespace="" makes the node name fully specified, so launch writes the dict
        # parameters for this node, not for "/**": a node's own YAML entries would
        # otherwise win over them.
        return Node(
            package="legkit_ros",
            executable=executable,
            name=name,
            namespace="",
            output="screen",
            parameters=[*params, *extra],
            **kwargs,
        )

    return LaunchDescription(
        [
            *ARGUMENTS,
            node("policy_node", "policy", {"policy": policy}),
            node("observation_node", "observation", {"policy": policy}),
            node("controller_node", "controller"),
            node("hardware_bridge", "hardware_bridge"),
            node(
                "mcap_recorder",
                "mcap_recorder",
                {"policy": policy, "path": ParameterValue(record_path, value_type=str)},
                condition=IfCondition(LaunchConfiguration("record")),
            ),
        ]
    )
