"""ros2 launch: drive the robot (sim or real) with a gamepad.

    ros2 launch legkit_ros teleop.launch.py pad:=playstation
    ros2 launch legkit_ros teleop.launch.py joystick_reader:=false   # /joy from ROS's joy

The joystick reader publishes /joy from the pad through Linux evdev (for machines
without ROS's joy package); the teleop turns /joy into /cmd_vel with the pad
profile config/pads/<pad>.yaml and the shaping in config/teleop.yaml. Hold the
deadman button to drive. No pad? `ros2 run legkit_ros keyboard_teleop` in a terminal.

Arguments:
    pad:=xbox|playstation|logitech_f710   pad profile (F710 in X mode: xbox)
    joystick_reader:=true|false           read the pad here through evdev; false when
                                          /joy comes from elsewhere (ros2 run joy joy_node)
    device:=/dev/input/eventN             the pad (empty: the first gamepad found)
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
        "pad",
        default_value="xbox",
        choices=["xbox", "playstation", "logitech_f710"],
        description="pad profile in config/pads/ (Logitech F710 in X mode: xbox)",
    ),
    DeclareLaunchArgument(
        "joystick_reader",
        default_value="true",
        choices=["true", "false"],
        description="publish /joy from the pad through evdev; false when /joy comes from "
        "elsewhere (ros2 run joy joy_node)",
    ),
    DeclareLaunchArgument(
        "device",
        default_value="",
        description="the pad's /dev/input/eventN (empty: the first gamepad found)",
    ),
]


def generate_launch_description() -> LaunchDescription:
    params = PathJoinSubstitution([FindPackageShare("legkit_ros"), "config", "teleop.yaml"])
    device = ParameterValue(LaunchConfiguration("device"), value_type=str)
    return LaunchDescription(
        [
            *ARGUMENTS,
            # namespace="": launch then writes the dict parameters for this node, which
            # wins over the YAML's node entries (for "/**" it would lose).
            Node(
                package="legkit_ros",
                executable="joystick_reader",
                name="joystick_reader",
                namespace="",
                output="screen",
                parameters=[params, {"device": device}],
                condition=IfCondition(LaunchConfiguration("joystick_reader")),
            ),
            Node(
                package="legkit_ros",
                executable="teleop_node",
                name="teleop",
                namespace="",
                output="screen",
                parameters=[params, {"pad": LaunchConfiguration("pad")}],
            ),
        ]
    )
