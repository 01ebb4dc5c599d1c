"""`python -m tiri_tui` runs the same CLI as the `tiri-tui` script."""

import sys

from tiri_tui.commands.entry import main

sys.exit(main())
