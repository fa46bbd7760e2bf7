"""Stand-in for PlatformIO's tool-scons package: run the pip-installed SCons 4.11.1.

PlatformIO 6.2 starts `<python> <packages_dir>/tool-scons/scons.py ...` with its own
Python, which has `scons` installed (pip install scons==4.11.1); nothing is downloaded.
"""

import sys

try:
    import SCons.Script.Main
except ImportError:
    sys.stderr.write("edgekit: SCons is missing from PlatformIO's Python: pip install scons==4.11.1\n")
    sys.exit(2)

if __name__ == "__main__":
    SCons.Script.Main.main()
