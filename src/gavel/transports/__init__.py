"""Transports: wire traffic (IRC, log files, later Matrix) -> core events."""
