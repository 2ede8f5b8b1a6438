"""Network: SNMP polling, traps, telemetry and alerts for ISP devices. It starts, migrates its
schema (outbox, inbox) and answers /healthz; its domain comes with later issues.
"""
