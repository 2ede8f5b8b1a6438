"""Billing: the platform's billing of ISPs through Stripe: usage and dunning. It starts, migrates
its schema (outbox, inbox) and answers /healthz; its domain comes with later issues.
"""
