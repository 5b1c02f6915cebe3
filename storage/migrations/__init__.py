"""Alembic migrations of the Roundtable schema, run by ``storage.db.upgrade``."""
