"""`kiosk` console script and `python -m kiosk`."""

from .quiet_gc import quiet_gc

with quiet_gc():
    from .cli import main

if __name__ == "__main__":
    main()
