"""1.8.0 - Hardening: the site's time zone, the backup window, and notes that expire.

- system_config.time_zone: the IANA zone times are shown in (screens, receipts,
  reports). '' means the booth machine's own zone. Times are still stored in UTC.
- system_config.backup_window_days: a backup may hold personal data for at most
  retention + this many days; older backups are removed by rotation and flagged.
- stays.note: the free text an attendant types with a refund or a closed overstay.
  It is personal data (it may name a person), so it lives with the stay and expiry
  removes it with the vehicle's details; the audit trail keeps only a reason code.
  idx_stays_note (partial: rows with a note) lets expiry find the due notes at once.
Data: reasons become codes. A free-text stays.closed_reason moves to stays.note
(dropped instead when the stay's vehicle was already purged) and becomes 'other';
a free-text reason in audit_logs / audit_logs_archive details becomes 'other' (the
text is not kept anywhere). Rollback turns closed_reason codes back into their
labels, drops the index and the three columns (the notes go with their column);
no row is removed.
"""

from kiosk.schema.steps import apply

VERSION = "1.8.0"
DELETES_ROWS = False

_COLUMNS = [
    ("system_config", "time_zone", "TEXT NOT NULL DEFAULT ''"),
    ("system_config", "backup_window_days", "INTEGER NOT NULL DEFAULT 7"),
    ("stays", "note", "TEXT"),
]

# The codes as this version knows them (kiosk.booth.reasons), written out: a migration
# must do the same thing whatever later releases change in the code.
_DEPARTED_LABELS = [
    ("left_without_paying", "left without paying"),
    ("registered_in_error", "registered in error"),
    ("vehicle_removed", "vehicle removed (towed)"),
    ("paid_elsewhere", "paid elsewhere"),
    ("other", "other (say why in the note)"),
]
_REFUND_CODES = ["wrong_vehicle", "wrong_amount", "duplicate_charge", "customer_complaint", "equipment_fault",
                 "goodwill", "other"]
_CODES = ", ".join(f"'{c}'" for c in sorted({*_REFUND_CODES, *(c for c, _ in _DEPARTED_LABELS)}))
_DEPARTED_CODES = ", ".join(f"'{c}'" for c, _ in _DEPARTED_LABELS)
# A label written back by a rollback becomes its code again.
_LABEL_TO_CODE = "CASE closed_reason " + " ".join(f"WHEN '{label}' THEN '{code}'" for code, label in _DEPARTED_LABELS) + " END"
_CODE_TO_LABEL = "CASE closed_reason " + " ".join(f"WHEN '{code}' THEN '{label}'" for code, label in _DEPARTED_LABELS) + " END"
_LABELS = ", ".join(f"'{label}'" for _, label in _DEPARTED_LABELS)

_ADD = [f"ALTER TABLE {table} ADD COLUMN {name} {decl}" for table, name, decl in _COLUMNS]
_DROP = [f"ALTER TABLE {table} DROP COLUMN {name}" for table, name, _decl in reversed(_COLUMNS)]
_INDEX = "CREATE INDEX idx_stays_note ON stays(entry_timestamp) WHERE note IS NOT NULL"

_STAYS_UP = [
    f"UPDATE stays SET closed_reason = {_LABEL_TO_CODE} WHERE closed_reason IN ({_LABELS})",
    # Free text: kept as the stay's note while the vehicle still holds its details, then 'other'.
    "UPDATE stays SET note = CASE WHEN EXISTS (SELECT 1 FROM vehicles v WHERE v.id = stays.vehicle_id "
    "AND v.purged_at IS NULL) THEN closed_reason END, closed_reason = 'other' "
    f"WHERE closed_reason IS NOT NULL AND closed_reason NOT IN ({_DEPARTED_CODES})",
]
_STAYS_DOWN = [f"UPDATE stays SET closed_reason = {_CODE_TO_LABEL} WHERE closed_reason IN ({_DEPARTED_CODES})"]


def _scrub(table: str, dialect: str) -> str:
    """A free-text reason in an audit row's JSON details becomes 'other'; every other key is kept."""
    if dialect == "sqlite":
        return (f"UPDATE {table} SET details = json_set(details, '$.reason', 'other') "
                f"WHERE details IS NOT NULL AND json_valid(details) AND json_type(details, '$.reason') IS NOT NULL "
                f"AND (json_type(details, '$.reason') <> 'text' OR json_extract(details, '$.reason') NOT IN ({_CODES}))")
    # Only rows whose details are a JSON object are read as JSON (the kiosk writes no other kind).
    reason = "(CASE WHEN left(details, 1) = '{' THEN details::jsonb -> 'reason' END)"
    return (f"UPDATE {table} SET details = jsonb_set(details::jsonb, '{{reason}}', '\"other\"')::text "
            f"WHERE {reason} IS NOT NULL "
            f"AND (jsonb_typeof({reason}) <> 'string' OR ({reason} #>> '{{}}') NOT IN ({_CODES}))")


UP = {
    dialect: [*_ADD, _INDEX, *_STAYS_UP, _scrub("audit_logs", dialect), _scrub("audit_logs_archive", dialect)]
    for dialect in ("sqlite", "postgresql")
}
DOWN = {dialect: [*_STAYS_DOWN, "DROP INDEX idx_stays_note", *_DROP] for dialect in ("sqlite", "postgresql")}


def migrate(migrator, database, fake=False):
    apply(migrator, database, UP)


def rollback(migrator, database, fake=False):
    apply(migrator, database, DOWN)
