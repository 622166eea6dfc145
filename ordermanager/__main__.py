"""``python -m ordermanager`` is the ``ordermanager`` command."""

import sys

from ordermanager.cli import main

if __name__ == "__main__":
    sys.exit(main())
