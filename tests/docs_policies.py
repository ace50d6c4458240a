#!/usr/bin/env python3
# docs/policies.md's parameter tables are the registry's (`spritesim policies --markdown`): this test fails when they
# differ, and --update rewrites them in place (after adding a policy or changing a parameter).
#   python3 tests/docs_policies.py SPRITESIM [--update] [--docs docs/policies.md]
# In each "### NAME (" section the generated block replaces the marked block there, else the first hand-written
# parameter table, else it is added at the section's end.
import argparse
import os
import re
import subprocess
import sys

BLOCK = re.compile(r"<!-- parameters of (\S+): .*?-->\n.*?<!-- end of \1's parameters -->\n", re.S)
HAND_TABLE = re.compile(r"\| parameter \| type \| default \| range \| meaning \|\n(?:\|.*\|\n)+")


def generated(spritesim):
    out = subprocess.run([spritesim, "policies", "--markdown"], capture_output=True, text=True, check=True).stdout
    return {m.group(1): m.group(0) for m in BLOCK.finditer(out)}


def rewrite(text, blocks):
    """The docs with each policy section's table replaced by its block; raises when a policy has no section."""
    heads = [(m.start(), m.group(1)) for m in re.finditer(r"^### (\S+) \(", text, re.M)]
    missing = sorted(set(blocks) - {name for _, name in heads})
    if missing:
        raise SystemExit(f"docs/policies.md has no \"### NAME (file)\" section for: {', '.join(missing)}")
    pieces, last = [], 0
    for i, (start, name) in enumerate(heads):
        end = heads[i + 1][0] if i + 1 < len(heads) else len(text)
        nxt = re.search(r"^##? ", text[start + 4:end], re.M)  # or at the next heading of a higher level
        end = start + 4 + nxt.start() if nxt else end
        pieces.append(text[last:start])
        section = text[start:end]
        if name in blocks:
            block = blocks[name]
            if BLOCK.search(section):
                section = BLOCK.sub(lambda _: block, section, count=1)
            elif HAND_TABLE.search(section):
                section = HAND_TABLE.sub(lambda _: block, section, count=1)
            else:
                section = section.rstrip("\n") + "\n\n" + block + "\n"
        pieces.append(section)
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("spritesim")
    ap.add_argument("--update", action="store_true")
    ap.add_argument("--docs", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs",
                                                   "policies.md"))
    a = ap.parse_args()
    with open(a.docs) as f:
        text = f.read()
    blocks = generated(a.spritesim)
    if not blocks:
        print("FAILED: `spritesim policies --markdown` printed no table")
        return 1
    want = rewrite(text, blocks)
    stale = sorted(set(m.group(1) for m in BLOCK.finditer(text)) - set(blocks))
    if a.update:
        with open(a.docs + ".tmp", "w") as f:
            f.write(want)
        os.replace(a.docs + ".tmp", a.docs)
        print(f"docs/policies.md: {len(blocks)} parameter tables written")
        return 0
    if stale:
        print(f"FAILED: docs/policies.md has tables of policies the registry does not know: {', '.join(stale)}")
        return 1
    if want != text:
        names = [n for n, b in blocks.items() if b not in text]
        print(f"FAILED: docs/policies.md's parameter tables differ from the registry for: {', '.join(names)}; "
              f"run python3 tests/docs_policies.py SPRITESIM --update")
        return 1
    print(f"docs/policies.md: the {len(blocks)} parameter tables match the registry")
    return 0


if __name__ == "__main__":
    sys.exit(main())
