from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    BILLING = "billing"
    SUPPORT = "support"
    READ_ONLY = "read_only"
