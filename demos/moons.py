"""Run the 'moons' demo: `python demos/moons.py [--quick] [-o DIR]`.

Same as `micrograd-plus demo moons`; the code lives in micrograd_plus/demos/moons.py.
"""

import sys

from micrograd_plus.cli import main

if __name__ == "__main__":
    sys.exit(main(["demo", "moons", *sys.argv[1:]]))
