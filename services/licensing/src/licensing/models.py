from sqlalchemy import MetaData

from servicekit.messaging import messaging_tables

SCHEMA = "licensing"
metadata = MetaData(schema=SCHEMA)
messaging = messaging_tables(metadata)
