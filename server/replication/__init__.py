"""The replication domain."""
