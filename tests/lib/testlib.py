# Helpers shared by the scenario scripts (tests/sim, tests/real, tests/conformance) and the docs checks: CSV rows,
# waits for daemons, free loopback ports, a check's report, and the small diamond-shaped trace several scenarios run. Imported with
# sys.path.insert(0, <tests/lib>) by each script.
import csv
import os
import socket
import sys
import tempfile
import time
import unittest

DIAMOND_TRACE = {  # four jobs: a -> (b, c) -> d; a run takes well under a second
    "format": "spritesim-trace",
    "version": 1,
    "name": "diamond",
    "reference_profile": "ss1",
    "source": "tests/lib/testlib.py",
    "tool": {"scan_cpu_s": 0.5, "scan_lookups": 10, "job_cpu_s": 0.05, "exec_arg_bytes": 2048, "script_bytes": 256},
    "jobs": [
        {"id": "a", "kind": "compile", "cpu_s": 3.0, "lookups": 20, "bytes_read": 50000, "bytes_written": 10000},
        {"id": "b", "kind": "compile", "deps": ["a"], "cpu_s": 4.0, "lookups": 20, "bytes_read": 50000,
         "bytes_written": 10000},
        {"id": "c", "kind": "compile", "deps": ["a"], "cpu_s": 2.0, "lookups": 20, "bytes_read": 50000,
         "bytes_written": 10000},
        {"id": "d", "kind": "link", "deps": ["b", "c"], "cpu_s": 1.5, "lookups": 10, "bytes_read": 20000,
         "bytes_written": 30000, "reads_dep_outputs": True},
    ],
}


class TempDirCase(unittest.TestCase):
    """A test case whose tests share one temporary directory, `cls.tmp` (prefix TMP_PREFIX), removed after them; a
    subclass with a setUpClass of its own calls super().setUpClass() first."""

    TMP_PREFIX = "spritesim-test-"

    @classmethod
    def setUpClass(cls):
        cls._tmp = tempfile.TemporaryDirectory(prefix=cls.TMP_PREFIX)
        cls.tmp = cls._tmp.name

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()


def report_problems(problems, ok_message):
    """A documentation check's ending: each problem on a FAILED line and exit status 1, or the summary and 0."""
    for p in problems:
        print("FAILED:", p)
    if not problems:
        print(ok_message)
    return 1 if problems else 0


def numbered_script(lines, pause_s):
    """A shell script that prints "start", then "line 0" to "line N-1" one every pause_s seconds, then "end"; and the
    bytes it prints, so that a test need not run it once to know them."""
    script = (f"echo start; i=0; while [ $i -lt {lines} ]; do echo line $i; i=$((i+1)); sleep {pause_s}; done; "
              "echo end")
    return script, ("start\n" + "".join(f"line {i}\n" for i in range(lines)) + "end\n").encode()


def rows(path):
    """The rows of a CSV file with a header, as dicts."""
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def read(path):
    """A text file's content, or "" when it does not exist (yet, or any more: a /proc entry of a process that
    ends while it is read gives ESRCH)."""
    try:
        with open(path) as f:
            return f.read()
    except (FileNotFoundError, ProcessLookupError):
        return ""


def processes_mentioning(text):
    """pids of live processes whose command line contains text (a sweep's output folder, say)."""
    pids = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if text.encode() in f.read():
                    pids.append(int(pid))
        except OSError:
            pass
    return pids


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred, what, timeout=10.0):
    """A bounded wait for a daemon to reach a state (not a timing assertion)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def skip_without_loopback():
    """Exits 77 (meson's "skipped") where loopback sockets are not allowed: real mode's tests need them."""
    try:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen(1)
    except OSError as e:
        print(f"SKIP: real-mode tests need loopback sockets ({e})")
        sys.exit(77)


def run_script(script, module_globals, before=None, verbosity=2):
    """The main of every scenario script: takes the spritesim executable (argument 1; any further arguments name test
    cases, as unittest's own), sets the script's SPRITESIM, calls `before` (skips, other globals), runs the script's
    unittest cases and exits 0 when all passed, 1 otherwise."""
    if len(sys.argv) < 2:
        sys.exit(f"usage: {script} /path/to/spritesim [TestClass[.test_name]...]")
    module_globals["SPRITESIM"] = os.path.abspath(sys.argv.pop(1))
    if before:
        before()
    result = unittest.main(module="__main__", exit=False, verbosity=verbosity).result
    sys.exit(0 if result.wasSuccessful() else 1)

