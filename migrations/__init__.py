"""peewee-migrate migrations of the kiosk schema, one file per version.

Names carry the version with underscores (peewee-migrate ignores names with dots).
Each file defines VERSION, migrate() and rollback(). Shipped as `kiosk_migrations`.
"""
