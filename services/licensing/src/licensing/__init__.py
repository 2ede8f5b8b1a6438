"""Licensing: tier catalogue, plugin registry, signed licences and entitlements. It starts,
migrates its schema (outbox, inbox) and answers /healthz; its domain comes with later issues.
"""
