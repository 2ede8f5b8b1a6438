"""Sample data for demo tenants: deterministic scenarios, and loading them into a tenant."""
