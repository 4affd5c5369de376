"""Run the 'regularization' demo: `python demos/regularization.py [--quick] [-o DIR]`.

Same as `micrograd-plus demo regularization`; the code lives in
micrograd_plus/demos/regularization.py.
"""

import sys

from micrograd_plus.cli import main

if __name__ == "__main__":
    sys.exit(main(["demo", "regularization", *sys.argv[1:]]))
