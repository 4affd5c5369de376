"""Run the 'optimizers' demo: `python demos/optimizers.py [--quick] [-o DIR]`.

Same as `micrograd-plus demo optimizers`; the code lives in micrograd_plus/demos/optimizers.py.
"""

import sys

from micrograd_plus.cli import main

if __name__ == "__main__":
    sys.exit(main(["demo", "optimizers", *sys.argv[1:]]))
