# Helpers shared by the scenario scripts (tests/sim, tests/real, tests/conformance): CSV rows, waits for daemons,
# free loopback ports, and the small diamond-shaped trace several scenarios run. Imported with
# sys.path.insert(0, <tests/lib>) by each script.
import csv
import socket
import time

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


def rows(path):
    """The rows of a CSV file with a header, as dicts."""
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def read(path):
    """A text file's content, or "" when it does not exist (yet)."""
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ""


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
