"""Thin rclpy adapters around the legkit core: parameters and topics in, one core call, topics out."""
