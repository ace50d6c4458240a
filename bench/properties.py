#!/usr/bin/env python3
# The property tests at bench scale: 5,000 randomised scenarios (tests/sim/test_properties.py, master seed 2000000,
# two at a time, every 4th run twice for determinism), with progress every 500. Not a test: run by hand, e.g.
#   nice python3 bench/properties.py build/tools/spritesim [--count 5000] [--master-seed 2000000] [--jobs 2]
# Failing scenarios are written to build/property-failures/seed-N/ with the command that reruns each.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "sim"))
import test_properties  # noqa: E402

if __name__ == "__main__":
    sys.exit(test_properties.main(default_count=5000, default_master_seed=2000000))
