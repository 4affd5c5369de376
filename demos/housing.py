"""Run the 'housing' demo: `python demos/housing.py [--quick] [-o DIR]`.

Same as `micrograd-plus demo housing`; the code lives in micrograd_plus/demos/housing.py.
"""

import sys

from micrograd_plus.cli import main

if __name__ == "__main__":
    sys.exit(main(["demo", "housing", *sys.argv[1:]]))
