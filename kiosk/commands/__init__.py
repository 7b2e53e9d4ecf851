"""The headless commands of `kiosk --maintenance`, one module per command or family.

The click group itself lives in `kiosk.cli`; it imports a command's module only when that
command is asked for or listed (`COMMANDS`), so the terminal starts without any of them.
"""

# command name -> "module:attribute" under this package
COMMANDS = {
    "status": "schema:status_cmd",
    "migrate": "schema:migrate_cmd",
    "rollback": "schema:rollback_cmd",
    "adopt": "adopt:adopt_cmd",
    "expire": "expire:expire_cmd",
    "backup": "backup:backup_cmd",
    "restore": "backup:restore_cmd",
    "check": "check:check_cmd",
    "stats": "stats:stats_cmd",
    "staff": "staff:staff_cmd",
    "shifts": "shifts:shifts_cmd",
    "z-report": "shifts:z_report_cmd",
    "subject": "subject:subject_cmd",
    "request": "requests:request_cmd",
    "privacy": "privacy:privacy_cmd",
}
