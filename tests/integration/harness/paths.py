"""Where the tree, the build and the exporter binary are (environment
overrides: MAILFLOW_SOURCE_DIR, MAILFLOW_BUILD_DIR, MAILFLOW_EXPORTER, as
ctest sets them). Read EXPORTER as `paths.EXPORTER` at call time: a driver
such as bench/soak.py may point it at another binary after import."""
import os

_HERE = os.path.dirname(os.path.abspath(__file__))

SOURCE_DIR = os.environ.get(
    "MAILFLOW_SOURCE_DIR", os.path.abspath(os.path.join(_HERE, "..", "..", "..")))
BUILD_DIR = os.environ.get("MAILFLOW_BUILD_DIR", os.path.join(SOURCE_DIR, "build"))
EXPORTER = os.environ.get(
    "MAILFLOW_EXPORTER", os.path.join(BUILD_DIR, "exporter", "mailflow_exporter"))
# tests/integration/tools: helper programs the tests run (webhook receiver...).
TOOLS = os.path.join(os.path.dirname(_HERE), "tools")
