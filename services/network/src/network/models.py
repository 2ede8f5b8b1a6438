from sqlalchemy import MetaData

from servicekit.messaging import messaging_tables

SCHEMA = "network"
metadata = MetaData(schema=SCHEMA)
messaging = messaging_tables(metadata)
