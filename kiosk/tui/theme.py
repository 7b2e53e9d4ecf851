"""The kiosk's colour theme: high contrast, readable at a glance from the booth chair."""

from textual.theme import Theme

KIOSK_THEME = Theme(
    name="kiosk",
    primary="#2F81F7",
    secondary="#A371F7",
    accent="#F2B233",
    foreground="#E6EDF3",
    background="#0D1117",
    surface="#161B22",
    panel="#21262D",
    success="#2EA043",
    warning="#D29922",
    error="#DA3633",
    dark=True,
)
