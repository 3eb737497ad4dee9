"""``python -m <package>.flair_plugin.engine.cli``: the headless command."""
import sys

from .main import main

sys.exit(main())
