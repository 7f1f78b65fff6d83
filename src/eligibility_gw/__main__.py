"""``python -m eligibility_gw``."""

import sys

from eligibility_gw.cli.main import main

sys.exit(main())
