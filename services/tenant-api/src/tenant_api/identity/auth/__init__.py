"""Who is calling: users of a tenant, their passwords, access and refresh tokens, roles."""
