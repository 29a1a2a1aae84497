"""Check and ingest the corpus: `python ingest.py [--check] [--json]`."""

import sys

from assistant.__main__ import main

if __name__ == "__main__":
    sys.exit(main(["ingest", *sys.argv[1:]]))
