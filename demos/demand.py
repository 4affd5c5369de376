"""Run the 'demand' demo: `python demos/demand.py [--quick] [-o DIR]`.

Same as `micrograd-plus demo demand`; the code lives in micrograd_plus/demos/demand.py.
"""

import sys

from micrograd_plus.cli import main

if __name__ == "__main__":
    sys.exit(main(["demo", "demand", *sys.argv[1:]]))
