"""Tenancy, the kernel every context stands on: the ISPs this framework serves (directory,
placement, row-level security), what their licences allow (entitlements), and their departure
(offboarding)."""
