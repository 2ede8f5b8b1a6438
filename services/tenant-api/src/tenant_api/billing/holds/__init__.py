"""Vacation holds: stretches of days a customer (or one subscription) is not billed."""
