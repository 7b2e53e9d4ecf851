"""The Textual terminal. Only this package imports Textual."""
