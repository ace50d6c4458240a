#!/usr/bin/env python3
# Every source the tree cites is in docs/references.md: each siglum (SPE91, TH90, HBD97, ...: capitals and letters
# then two digits, or one of the digitless sigla below) found in the code, configs and docs has an entry there, and
# no text cites the maintainers' notes outside the repository ("sprite-facts 7a", "peers-and-simgrid 2.6", "peers
# 2.10") any more.
#   python3 tests/docs_references.py [SOURCE_ROOT]
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from testlib import report_problems  # noqa: E402

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
REFERENCES = "docs/references.md"
SIGLUM = re.compile(r"\b[A-Z][A-Za-z]*[0-9]{2}\b")
# Sigla without digits: the pattern cannot tell them from words, so the ones cited are listed here.
DIGITLESS = ["AMSP", "SRC", "NDCP", "HTCM", "ICECC", "DISTCC"]
# Tokens of the siglum's shape that cite nothing.
NOT_CITATIONS = {"B64"}  # real/protocol.cpp: base64
ENTRY = re.compile(r"^\*\*([A-Za-z0-9]+)\*\* — ", re.M)
NOTES = re.compile(r"sprite-facts|peers-and-simgrid|\bpeers \d+\.\d+")
TEXT = (".cpp", ".hpp", ".h", ".py", ".md", ".json", ".build", ".txt", ".sh", ".options")
SKIP_DIRS = {".git", "subprojects", "__pycache__"}


def sources():
    """Relative paths of the text files of the tree, outside build directories."""
    for top, dirs, files in os.walk(ROOT):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith((".", "build")))
        for f in sorted(files):
            if f.endswith(TEXT) or f == "meson.build":
                path = os.path.relpath(os.path.join(top, f), ROOT)
                if path != "tests/unit/doctest.h":
                    yield path


def main():
    with open(os.path.join(ROOT, REFERENCES), encoding="utf-8") as f:
        refs = f.read()
    entries = ENTRY.findall(refs)
    problems = [f"{REFERENCES}: two entries for {s}" for s in sorted({s for s in entries if entries.count(s) > 1})]
    defined = set(entries)
    cited = {}
    me = os.path.relpath(os.path.abspath(__file__), ROOT)
    for path in sources():
        with open(os.path.join(ROOT, path), encoding="utf-8", errors="replace") as f:
            text = f.read()
        for n, line in enumerate(text.splitlines(), 1):
            for s in SIGLUM.findall(line):
                if s not in NOT_CITATIONS:
                    cited.setdefault(s, f"{path}:{n}")
            for s in DIGITLESS:
                if re.search(rf"\b{s}\b", line):
                    cited.setdefault(s, f"{path}:{n}")
            if path not in (me, REFERENCES) and NOTES.search(line):
                problems.append(f"{path}:{n}: cites notes outside the repository ({NOTES.search(line).group(0)}); "
                                f"cite the primary source's siglum (docs/references.md)")
    for s in sorted(set(cited) - defined):
        problems.append(f"{cited[s]}: cites {s}, which has no entry in {REFERENCES}")
    for s in DIGITLESS:
        if s not in defined:
            problems.append(f"{s}: listed as a digitless siglum, but {REFERENCES} has no entry for it")
    return report_problems(problems,
                           f"{REFERENCES}: {len(defined)} entries; every one of the {len(cited)} sigla cited has one")


if __name__ == "__main__":
    sys.exit(main())
