"""The booth's screens: one module per screen, one mode (function key) each."""
