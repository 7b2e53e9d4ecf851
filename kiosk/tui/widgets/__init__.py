"""Widgets of the booth terminal (each in its own module)."""
