"""Run the 'regularization' demo: `python demos/regularization.py [--quick] [-o DIR]` (same as `micrograd-plus demo regularization`).

The code lives in micrograd_plus/demos/regularization.py.
"""

import sys

from micrograd_plus.cli import main

if __name__ == "__main__":
    sys.exit(main(["demo", "regularization", *sys.argv[1:]]))
