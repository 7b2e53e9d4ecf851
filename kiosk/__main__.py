"""`kiosk` console script and `python -m kiosk`."""

from .cli import main

if __name__ == "__main__":
    main()
