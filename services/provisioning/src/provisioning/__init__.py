"""Provisioning: turns a registered ISP into a running instance, through Temporal workflows."""
