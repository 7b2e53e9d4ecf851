"""Why a figure misses its budget: the analysis behind each miss (profiles in docs/performance.md).

Shown in the results table next to a missed figure. Kept apart from the measuring code
so a reader finds every explanation in one place; update it when a cause is fixed.
"""

CAUSES = {
    "register": "to be analysed",
    "lookup": "to be analysed",
    "payment": "to be analysed",
    "expiry": "to be analysed",
    "archive": "to be analysed",
    "schema": "to be analysed",
    "tui_start": "to be analysed",
    "map_open": "to be analysed",
    "map_move": "to be analysed",
    "during": "to be analysed",
}
