"""Run the 'binary3d' demo: `python demos/binary3d.py [--quick] [-o DIR]`.

Same as `micrograd-plus demo binary3d`; the code lives in micrograd_plus/demos/binary3d.py.
"""

import sys

from micrograd_plus.cli import main

if __name__ == "__main__":
    sys.exit(main(["demo", "binary3d", *sys.argv[1:]]))
