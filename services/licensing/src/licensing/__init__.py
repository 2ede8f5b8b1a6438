"""Licensing: the tier catalogue, the plugin registry, and the Ed25519-signed licences that
say what each ISP may use (issued when its tenant becomes active)."""
