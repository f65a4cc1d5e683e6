import sys

from toridaemon.cli import main

sys.exit(main())
