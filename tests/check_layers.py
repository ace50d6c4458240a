#!/usr/bin/env python3
# The house's dependency rule (design.md), checked on the include graph: each layer includes only itself and the
# layers below it, and only sim/ talks to SimGrid. A lower layer including a higher one, directly or through a
# header of a third layer that is allowed, fails with the chain that does it. Also: no source file over 450 lines.
#   python3 tests/check_layers.py [SOURCE_ROOT]
import os
import re
import sys

# What each layer may include besides itself (design.md "Layers").
ALLOWED = {
    "core": set(),
    "models": {"core"},
    "workloads": {"core", "models"},
    "policy": {"core", "models", "workloads"},
    "migd": {"core", "models", "workloads", "policy"},
    "sim": {"core", "models", "workloads", "policy", "migd"},
    "experiments": {"core", "models", "workloads", "policy", "migd", "sim"},
    "real": {"core", "models", "workloads", "policy", "migd"},
}
TOPS = set(ALLOWED) | {"tools", "bench", "tests", "fuzz"}
SIMGRID = re.compile(r'#\s*include\s*[<"](simgrid|xbt)[/.]')
INCLUDE = re.compile(r'#\s*include\s*"([^"]+)"')
MAX_LINES = 450


def sources(root):
    for top in sorted(ALLOWED) + ["tools"]:
        for d, _, files in os.walk(os.path.join(root, top)):
            for f in sorted(files):
                if f.endswith((".cpp", ".hpp", ".h", ".cc")):
                    yield os.path.relpath(os.path.join(d, f), root)


def check(root):
    edges, problems = {}, []
    for path in sources(root):
        with open(os.path.join(root, path), errors="replace") as f:
            text = f.read()
        top = path.split(os.sep)[0]
        if text.count("\n") > MAX_LINES:
            problems.append(f"{path}: {text.count(chr(10))} lines (at most {MAX_LINES})")
        if top in ALLOWED and top != "sim" and SIMGRID.search(text):
            problems.append(f"{path} includes SimGrid (only sim/ may)")
        edges[path] = [m.group(1) for m in INCLUDE.finditer(text) if m.group(1).split("/")[0] in TOPS]
    for path, targets in edges.items():
        top = path.split(os.sep)[0]
        if top not in ALLOWED:
            continue
        # Depth-first over the headers reachable from this file: the first one outside the allowed layers fails.
        seen, stack = set(), [(t, [path, t]) for t in targets]
        while stack:
            inc, chain = stack.pop()
            if inc in seen:
                continue
            seen.add(inc)
            layer = inc.split("/")[0]
            if layer != top and layer not in ALLOWED[top]:
                problems.append(f"{path}: {top}/ may not depend on {layer}/ ({' -> '.join(chain)})")
                break
            stack.extend((t, chain + [t]) for t in edges.get(inc, []))
    return problems


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
    problems = check(root)
    for p in problems:
        print(p)
    if problems:
        print(f"FAILED: {len(problems)} problem(s) with the layering or file sizes")
        return 1
    print("layers: every include within the dependency rule; no source file over 450 lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
