"""Running one node as a process: init, spin, clean shutdown on Ctrl-C.

A node that cannot start (bad policy file, contract mismatch, bad parameter)
raises from its constructor; that becomes one error line and exit code 1, not a
traceback, so an operator sees exactly what to fix.
"""

from __future__ import annotations

import gc
import signal
import sys
import threading

import rclpy
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.node import Node


class StartupError(RuntimeError):
    """A node refuses to start; the message says why."""


def make_executor() -> SingleThreadedExecutor:
    """The executor every legkit process spins.

    rclpy 7.1's experimental EventsExecutor would cost less per callback, but its
    spin() never fires timers here, so the classic executor is used.
    """
    return SingleThreadedExecutor()


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def spin_until_stopped(executor: SingleThreadedExecutor, poll: float = 0.05) -> None:
    """Spin until Ctrl-C (SIGINT) or SIGTERM, then return; the ROS context stays up.

    For a process that must still talk after the stop request (the rehearsal's bridge
    damps its motors and logs to /rosout while its physics publishes /clock). The signal
    only sets a flag, checked between callbacks: a KeyboardInterrupt raised wherever
    the main thread happens to be can land inside rclpy's message conversion, where
    pybind11 turns it into a RuntimeError and the process exits 1 after a clean stop.
    Further signals while the caller cleans up are ignored, as in `run_node`.
    """
    stop = threading.Event()
    for signum in STOP_SIGNALS:
        signal.signal(signum, lambda *_: stop.set())
    while not stop.is_set() and rclpy.ok():
        executor.spin_once(timeout_sec=poll)


def freeze_startup_objects() -> None:
    """Keep the garbage collector's full passes off the control loop.

    After start-up a node holds hundreds of thousands of long-lived objects (numpy,
    onnxruntime, rclpy, message types); a full collection walks them all and stalls
    the process for tens of milliseconds. Frozen objects are skipped by the collector.
    """
    gc.collect()
    gc.freeze()


def run_node(node_class: type[Node], args=None) -> None:
    rclpy.init(args=args)
    node = None
    try:
        node = node_class()
    except (StartupError, ValueError, KeyError, FileNotFoundError) as err:
        rclpy.logging.get_logger(getattr(node_class, "NODE_NAME", node_class.__name__)).fatal(
            f"refusing to start: {err}"
        )
        if rclpy.ok():
            rclpy.shutdown()
        sys.exit(1)
    freeze_startup_objects()
    try:
        rclpy.spin(node, executor=make_executor())
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except RuntimeError:
        # Ctrl-C can shut the context down while the executor is taking a message;
        # that is a clean stop. Anything else is a real error.
        if rclpy.ok():
            raise
    finally:
        # Stopping: a second Ctrl-C must not cut the clean-up short. ros2 launch sends
        # its own SIGINT after the terminal's, and a recorder is still closing its file.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        node.destroy_node()
        if rclpy.ok():
            rclpy.shutdown()
