#!/usr/bin/python3
"""Run shared/oracle/oracle.py with a --drain-timeout budget.

The oracle builds upstream's MetricsAggregatorService with
drain_timeout_s=None (unlimited). Upstream #409 gives the flag three
meanings (omitted = unlimited, 0 = no drain, > 0 = seconds); this wrapper
runs the unchanged oracle with the budget it is given, so the expected
final snapshot of a zero-budget run comes from upstream's own code.

usage: drain_budget.py --oracle DIR --drain-timeout SECONDS ORACLE-ARGS...
"""
import argparse
import importlib.util
import sys


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--oracle", required=True, help="the shared/oracle directory")
    ap.add_argument("--drain-timeout", type=float, required=True)
    a, rest = ap.parse_known_args()
    spec = importlib.util.spec_from_file_location("oracle", f"{a.oracle}/oracle.py")
    oracle = importlib.util.module_from_spec(spec)
    sys.modules["oracle"] = oracle
    spec.loader.exec_module(oracle)

    init = oracle._Mods.__init__

    def patched(self):
        init(self)
        service = self.MetricsAggregatorService

        def with_budget(*args, **kwargs):
            kwargs["drain_timeout_s"] = a.drain_timeout
            return service(*args, **kwargs)

        self.MetricsAggregatorService = with_budget

    oracle._Mods.__init__ = patched
    return oracle.main(rest)


if __name__ == "__main__":
    sys.exit(main())
