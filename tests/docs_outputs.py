#!/usr/bin/env python3
# docs/outputs.md documents every CSV a run writes with exactly the columns the code writes, in the same order: the
# columns come from the records' field tables (`spritesim columns`, core/results.hpp), the documented ones from the
# tables of docs/outputs.md's `spritesim run` part (tests/lib/outputs_schema.py). Also: no documented CSV is unknown.
#   python3 tests/docs_outputs.py SPRITESIM
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from outputs_schema import parse_outputs_doc  # noqa: E402
from testlib import report_problems  # noqa: E402


def written(spritesim):
    """{file: [column]} as `spritesim columns` prints them ("jobs.csv: job_id,kind,...")."""
    out = subprocess.run([spritesim, "columns"], capture_output=True, text=True, check=True).stdout
    files = {}
    for line in out.splitlines():
        name, _, columns = line.partition(": ")
        files[name] = columns.split(",")
    return files


def main():
    code = written(sys.argv[1])
    doc = {name: [c.name for c in cols] for name, cols in parse_outputs_doc().items() if name.endswith(".csv")}
    problems = []
    if not code:
        problems.append("`spritesim columns` printed no file")
    for name, columns in code.items():
        if name not in doc:
            problems.append(f"{name}: written by a run, but docs/outputs.md has no \"### {name}\" table")
        elif doc[name] != columns:
            problems.append(f"{name}: docs/outputs.md lists {', '.join(doc[name])}; the code writes "
                            f"{', '.join(columns)}")
    for name in sorted(set(doc) - set(code)):
        problems.append(f"{name}: documented in docs/outputs.md's run outputs, but no record table writes it")
    return report_problems(problems, f"docs/outputs.md: the columns of the {len(code)} CSVs match the field tables")


if __name__ == "__main__":
    sys.exit(main())
