"""The records domain."""
