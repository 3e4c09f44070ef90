"""ros2 launch: the legkit graph in simulation (ROS 2 Jazzy, legkit_ros built by colcon).

    ros2 launch legkit_ros sim.launch.py
    ros2 launch legkit_ros sim.launch.py policy:=/path/to/walk.onnx gui:=true record:=true

The nodes and parameters of `legkit-sim --processes` (config/<robot>.yaml), without
its run summary; ros2 launch starts them together, and the controller stands the
robot up once the sim's joint states arrive. Drive it with teleop.launch.py (the
scripted command source pauses while another /cmd_vel publisher exists).

Arguments:
    robot:=quadruped|exoskeleton   robot profile and parameter file config/<robot>.yaml;
                                   the exoskeleton's graph has the assistance controller
                                   and no command source (the wearer walks on their own)
    policy:=FILE                   ONNX policy: a path, or a file name in models/ (the
                                   default is the quadruped's: pass the exoskeleton's)
    gui:=false|true                open pybullet's window (needs a display)
    use_sim_time:=true|false       nodes other than the sim run on its /clock
    record:=false|true             record the main topics to an MCAP file
    record_path:=FILE.mcap         where (empty: legkit_<date>-<time>.mcap here)
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.conditions import IfCondition
from launch.substitutions import EqualsSubstitution, LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue
from launch_ros.substitutions import FindPackageShare

ARGUMENTS = [
    DeclareLaunchArgument(
        "robot",
        default_value="quadruped",
        choices=["quadruped", "exoskeleton"],
        description="robot profile and config/<robot>.yaml; the exoskeleton runs the "
        "assistance controller and no command source",
    ),
    DeclareLaunchArgument(
        "policy",
        default_value="quadruped_walk.onnx",
        description="ONNX policy: a path, or a file name in models/",
    ),
    DeclareLaunchArgument(
        "gui", default_value="false", choices=["false", "true"], description="pybullet window"
    ),
    DeclareLaunchArgument(
        "use_sim_time",
        default_value="true",
        choices=["true", "false"],
        description="nodes other than the sim bridge follow the sim's /clock",
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
    params = [PathJoinSubstitution([config, robot]), ".yaml"]  # config/<robot>.yaml
    policy = ParameterValue(LaunchConfiguration("policy"), value_type=str)
    sim_time = {"use_sim_time": LaunchConfiguration("use_sim_time")}
    record_path = LaunchConfiguration("record_path")
    # A legged robot follows a velocity command through the PD controller; the
    # exoskeleton's controller shapes assistance torque and nobody commands a velocity.
    legged = IfCondition(EqualsSubstitution(robot, "quadruped"))
    assisted = IfCondition(EqualsSubstitution(robot, "exoskeleton"))

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
            parameters=[params, *extra],
            **kwargs,
        )

    return LaunchDescription(
        [
            *ARGUMENTS,
            node("policy_node", "policy", sim_time, {"policy": policy}),
            node("observation_node", "observation", sim_time, {"policy": policy}),
            node("command_source", "command_source", sim_time, condition=legged),
            node("controller_node", "controller", sim_time, condition=legged),
            node("assistance_controller", "controller", sim_time, condition=assisted),
            node("sim_bridge", "sim_bridge", {"gui": LaunchConfiguration("gui")}),
            node(
                "mcap_recorder",
                "mcap_recorder",
                {"policy": policy, "path": ParameterValue(record_path, value_type=str)},
                condition=IfCondition(LaunchConfiguration("record")),
            ),
        ]
    )
