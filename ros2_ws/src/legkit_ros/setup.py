from glob import glob

from setuptools import find_packages, setup

package_name = "legkit_ros"

setup(
    name=package_name,
    version="0.1.0",
    packages=find_packages(exclude=["test"]),
    data_files=[
        ("share/ament_index/resource_index/packages", ["resource/" + package_name]),
        ("share/" + package_name, ["package.xml"]),
        ("share/" + package_name + "/config", glob("config/*.yaml")),
        ("share/" + package_name + "/config/pads", glob("config/pads/*.yaml")),
        ("share/" + package_name + "/launch", glob("launch/*.launch.py")),
    ],
    install_requires=["setuptools", "legkit"],
    zip_safe=True,
    maintainer="legkit maintainers",
    maintainer_email="maintainers@legkit.dev",
    description="Thin rclpy nodes of the legkit stack.",
    license="Apache-2.0",
    entry_points={
        "console_scripts": [
            "sim_bridge = legkit_ros.sim_bridge:main",
            "observation_node = legkit_ros.observation_node:main",
            "policy_node = legkit_ros.policy_node:main",
            "controller_node = legkit_ros.controller_node:main",
            "assistance_controller = legkit_ros.assistance_controller:main",
            "command_source = legkit_ros.command_source:main",
            "hardware_bridge = legkit_ros.hardware_bridge:main",
            "legkit-rehearsal = legkit_ros.rehearsal:main",
            "legkit-sim = legkit_ros.bringup:main",
            "legkit-soak = legkit_ros.soak:main",
            "teleop_node = legkit_ros.teleop_node:main",
            "joystick_reader = legkit_ros.joystick_reader:main",
            "keyboard_teleop = legkit_ros.keyboard_teleop:main",
            "mcap_recorder = legkit_ros.mcap_recorder:main",
            "legkit-report = legkit_ros.mcap_report:main",
        ],
    },
)
