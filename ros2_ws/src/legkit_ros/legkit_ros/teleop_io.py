"""What the teleop nodes share: their parameters, and what a teleop does to the graph.

A velocity goes out on /cmd_vel; the e-stop button publishes on /estop (the
controller latches ESTOP), on the press and again on every tick while it is held;
stand-up, sit and e-stop reset call the controller's Trigger services. The pad and
keyboard nodes differ only in where samples come from.
"""

from __future__ import annotations

from pathlib import Path

from geometry_msgs.msg import Twist
from rclpy.node import Node
from std_msgs.msg import Bool
from std_srvs.srv import Trigger

from legkit.teleop import Action, JoyTeleop, TeleopConfig, Velocity
from legkit_ros import topics
from legkit_ros.spin import StartupError

SERVICES = {
    Action.STAND: topics.SRV_START,
    Action.SIT: topics.SRV_DAMP,
    Action.RESET: topics.SRV_RESET,
}


def share_dir() -> Path:
    """The package's installed share/ folder under colcon, else its source folder."""
    try:
        from ament_index_python.packages import get_package_share_directory

        share = Path(get_package_share_directory("legkit_ros"))
        if (share / "config").is_dir():
            return share
    except Exception:  # not built with colcon: use the source tree
        pass
    return Path(__file__).resolve().parent.parent


def pads_dir() -> Path:
    return share_dir() / "config" / "pads"


def declare_teleop_config(node: Node, scale: list[float]) -> TeleopConfig:
    """The shaping parameters, each a [linear_x, linear_y, angular_z] list."""
    scale = node.declare_parameter("scale", scale).value  # command at full stick
    limit = node.declare_parameter("limit", [1.0, 0.5, 1.5]).value  # |command| cap
    accel = node.declare_parameter("accel", [1.0, 1.0, 2.0]).value  # per second
    joy_timeout = node.declare_parameter("joy_timeout", 0.5).value  # s: pad lost
    try:
        return TeleopConfig.from_lists(scale, limit, accel, joy_timeout)
    except ValueError as err:
        raise StartupError(str(err)) from err


class TeleopOutputs:
    """Publishes commands and carries out button actions for one teleop node."""

    def __init__(self, node: Node) -> None:
        self._node = node
        self._log = node.get_logger()
        self.cmd_pub = node.create_publisher(Twist, topics.CMD_VEL, topics.EVENT_QOS)
        self.estop_pub = node.create_publisher(Bool, topics.ESTOP, topics.EVENT_QOS)
        self.clients = {a: node.create_client(Trigger, name) for a, name in SERVICES.items()}
        self.published = 0
        self._status = ""
        self._estop_unheard = False  # pressed while nothing subscribed to /estop

    def step(self, teleop: JoyTeleop, now: float, actions: list[Action]) -> None:
        """Carry out `actions`, then publish the command due now (if any)."""
        for line in teleop.ignored:
            self._log.warning(line)
        for action in actions:
            self.perform(action)
        if Action.ESTOP not in actions and teleop.held(Action.ESTOP, now):
            self.repeat_estop()
        velocity = teleop.update(now)
        if velocity is not None:
            self.publish(velocity)
        status = teleop.status(now)
        if status != self._status:  # one line per change, not per tick
            self._status = status
            # Deadman pressed or released is routine; a lost or unreadable pad is not.
            # (One log call per severity: rclpy refuses two severities from one call site.)
            if teleop.pad_alive(now) and not teleop.fault:
                self._log.info(f"teleop: {status}")
            else:
                self._log.warning(f"teleop: {status}")

    def publish(self, velocity: Velocity) -> None:
        msg = Twist()
        msg.linear.x, msg.linear.y, msg.angular.z = velocity.as_tuple()
        self.cmd_pub.publish(msg)
        self.published += 1

    def perform(self, action: Action) -> None:
        if action is Action.ESTOP:
            self.estop_pub.publish(Bool(data=True))
            listeners = self.estop_pub.get_subscription_count()
            self._estop_unheard = listeners == 0
            if self._estop_unheard:
                self._log.error(
                    f"E-STOP pressed, but nothing subscribes to {topics.ESTOP}: no controller "
                    "got it. It is sent again while the button is held; if the robot still "
                    "moves, use its hardware e-stop"
                )
            else:
                self._log.error(
                    f"E-STOP pressed: published on {topics.ESTOP} ({listeners} subscriber(s))"
                )
            return
        client = self.clients[action]
        if not client.service_is_ready():
            self._log.error(f"{action.value}: {client.srv_name} is not available, nothing sent")
            return
        self._log.info(f"{action.value}: calling {client.srv_name}")
        future = client.call_async(Trigger.Request())
        future.add_done_callback(lambda f, a=action: self._answered(a, f))

    def repeat_estop(self) -> None:
        """Send the e-stop again while its button is held.

        /estop is volatile: one message reaches only the subscribers matched at that
        moment, and a controller that restarted or is still in discovery misses it.
        Repeats cost nothing downstream (a latched e-stop ignores another).
        """
        self.estop_pub.publish(Bool(data=True))
        if self._estop_unheard and self.estop_pub.get_subscription_count() > 0:
            self._estop_unheard = False
            self._log.error(f"E-STOP (button held) now reaches a subscriber on {topics.ESTOP}")

    def _answered(self, action: Action, future) -> None:
        response = future.result()
        if response is None:
            self._log.error(f"{action.value}: no answer from {self.clients[action].srv_name}")
        elif response.success:
            self._log.info(f"{action.value}: done, {response.message}")
        else:
            self._log.warning(f"{action.value}: refused, {response.message}")
