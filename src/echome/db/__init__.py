"""Relational data: models, engine/session factory, migrations."""
