"""Thin rclpy adapters around the legkit core.

Each node: parameters and topics in, one core call, topics out.
"""
