"""`kiosk` console script and `python -m kiosk`: both run kiosk.cli.main."""

from .cli import main

if __name__ == "__main__":
    main()
