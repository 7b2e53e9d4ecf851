"""Schema versions: discovering, applying and rolling back the migrations in migrations/."""
