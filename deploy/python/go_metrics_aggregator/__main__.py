"""``python -m go_metrics_aggregator ARGS...``: exec the Go aggregator with ARGS."""

import sys

from go_metrics_aggregator import main

if __name__ == "__main__":
    sys.exit(main())
