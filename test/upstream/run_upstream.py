"""Run Supervisor's own end-to-end tests against the daemon under test.

The upstream tests start the daemon as `sys.executable -m
supervisor.supervisord`. This runner points sys.executable at
python-shim, which starts $SUPERVISORD_UPSTREAM_BIN for that one module and
the real interpreter for everything else, so the tests' own supervisorctl
and pidproxy stay the reference's.

Usage: SUPERVISORD_UPSTREAM_BIN=/path/to/supervisord python3 run_upstream.py [-v] [names...]
"""
import os
import sys
import unittest

here = os.path.dirname(os.path.abspath(__file__))
if not os.environ.get("SUPERVISORD_UPSTREAM_BIN"):
    sys.exit("run_upstream.py: set SUPERVISORD_UPSTREAM_BIN to the daemon under test")
os.environ["SUPERVISORD_UPSTREAM_PYTHON"] = sys.executable
os.environ["END_TO_END"] = "1"  # the upstream module runs its tests only when asked
sys.executable = os.path.join(here, "python-shim")

import shutil  # noqa: E402
import tempfile  # noqa: E402

import pkg_resources  # noqa: E402
from supervisor.tests import test_end_to_end  # noqa: E402

# Debian's package leaves out one fixture script (hello.sh, used by the
# test for issue 565). Run the tests from a copy of the fixtures with that
# script added; the configurations find it through %(here)s.
fixtures = os.path.join(os.path.dirname(test_end_to_end.__file__), "fixtures")
workdir = tempfile.mkdtemp(prefix="upstream-e2e-")
copy = os.path.join(workdir, "fixtures")
shutil.copytree(fixtures, copy, ignore=shutil.ignore_patterns("__pycache__"))
hello = os.path.join(copy, "hello.sh")
if not os.path.exists(hello):
    shutil.copy(os.path.join(here, "testdata", "hello.sh"), hello)
# The fixtures run their helper scripts as "python", which a system with
# only python3 lacks: provide it.
bindir = os.path.join(workdir, "bin")
os.mkdir(bindir)
os.symlink(os.environ["SUPERVISORD_UPSTREAM_PYTHON"], os.path.join(bindir, "python"))
os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
# A daemon starting with the default childlogdir removes every AUTO child
# log in it, its own or not; give the daemons started here a directory of
# their own, so that daemons started by other tests at the same time
# cannot remove theirs (and theirs cannot remove others').
tmpdir = os.path.join(workdir, "tmp")
os.mkdir(tmpdir)
os.environ["TMPDIR"] = tmpdir
# The fixtures keep their logs, pid files and sockets in /tmp under fixed
# names (/tmp/issue-664.log, ...), and four tests connect to such sockets
# by name. Point both at this run's directory: a run then leaves nothing
# in /tmp, and two runs cannot meet there.
for name in os.listdir(copy):
    if name.endswith(".conf"):
        path = os.path.join(copy, name)
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(text.replace("/tmp/", tmpdir + "/"))

from supervisor import xmlrpc as supervisor_xmlrpc  # noqa: E402


class Transport(supervisor_xmlrpc.SupervisorTransport):
    def __init__(self, username=None, password=None, serverurl=None):
        if serverurl and serverurl.startswith("unix:///tmp/"):
            serverurl = "unix://" + tmpdir + "/" + serverurl[len("unix:///tmp/"):]
        super().__init__(username, password, serverurl)


supervisor_xmlrpc.SupervisorTransport = Transport
test_end_to_end.SupervisorTransport = Transport
real_resource_filename = pkg_resources.resource_filename


def resource_filename(package, name):
    if package == test_end_to_end.__name__ and name.startswith("fixtures/"):
        return os.path.join(workdir, name)
    return real_resource_filename(package, name)


pkg_resources.resource_filename = resource_filename

loader = unittest.TestLoader()
names = [a for a in sys.argv[1:] if not a.startswith("-")]
if names:
    suite = loader.loadTestsFromNames(names, test_end_to_end)
else:
    suite = loader.loadTestsFromModule(test_end_to_end)
verbosity = 2 if "-v" in sys.argv[1:] else 1
try:
    result = unittest.TextTestRunner(verbosity=verbosity, stream=sys.stdout).run(suite)
finally:
    shutil.rmtree(workdir, ignore_errors=True)
print("upstream end-to-end: ran %d, failures %d, errors %d, skipped %d" % (
    result.testsRun, len(result.failures), len(result.errors), len(result.skipped)))
sys.exit(0 if result.wasSuccessful() else 1)
