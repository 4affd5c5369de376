"""Run the 'multilabel' demo: `python demos/multilabel.py [--quick] [-o DIR]`.

Same as `micrograd-plus demo multilabel`; the code lives in micrograd_plus/demos/multilabel.py.
"""

import sys

from micrograd_plus.cli import main

if __name__ == "__main__":
    sys.exit(main(["demo", "multilabel", *sys.argv[1:]]))
