"""Car-park booth kiosk: business layer, schema maintenance and the Textual terminal."""

__version__ = "1.0.0"
