"""Row-level security for tenant tables, as migrations apply it.

Every tenant table gets `ENABLE` and `FORCE ROW LEVEL SECURITY` and one policy that admits the
rows of the tenant the transaction declared (`Database.unit_of_work(tenant=...)`), for reading
and writing alike. The service connects as a role that owns nothing, so the policy binds it.
"""

TENANT_SETTING = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"


def isolate_tenant_table(schema: str, table: str) -> list[str]:
    """The statements that put `schema.table` (with a `tenant_id` column) under RLS."""
    qualified = f'"{schema}"."{table}"'
    return [
        f"ALTER TABLE {qualified} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {qualified} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY tenant_isolation ON {qualified} "
        f"USING (tenant_id = {TENANT_SETTING}) WITH CHECK (tenant_id = {TENANT_SETTING})",
    ]


def service_role(schema: str, role: str) -> list[str]:
    """The statements that create `role` (if missing), able to log in and use `schema`'s
    tables, owning none of them and never bypassing RLS."""
    return [
        f"""DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
                CREATE ROLE "{role}" LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
            END IF;
        END $$""",
        f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"',
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"',
        f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "{schema}" TO "{role}"',
        f'ALTER DEFAULT PRIVILEGES IN SCHEMA "{schema}" '
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "{role}"',
        f'ALTER DEFAULT PRIVILEGES IN SCHEMA "{schema}" '
        f'GRANT USAGE, SELECT ON SEQUENCES TO "{role}"',
    ]
