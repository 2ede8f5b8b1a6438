"""Identity, the other half of the kernel: who may sign in at an ISP (users, roles, access
tokens) and which programs may call it (API keys)."""
