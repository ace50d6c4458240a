#!/usr/bin/env python3
# Scenario tests of `spritesim trace capture`: real GNU make builds of generated C projects, captured in child
# processes, checked for every recipe, the dependency edges, recursive makes, a failing recipe, and a result
# identical to a plain make's. Usage: python3 test_capture.py /path/to/spritesim
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from testlib import run_script  # noqa: E402  (tests/lib/testlib.py)

SPRITESIM = None  # set from argv by run_script
FILES = 24


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def flat_project(root):
    """The maintainers' acceptance project: 24 small C files, main.c, one link."""
    objs = []
    for i in range(1, FILES + 1):
        write(f"{root}/m{i}.c", f"int f{i}(int x){{int s=0;for(int i=0;i<x;i++)s+=i*{i};return s;}}\n")
        objs.append(f"m{i}.o")
    write(f"{root}/main.c", "int f1(int);\nint main(void){return f1(3)==3?0:1;}\n")
    write(f"{root}/Makefile", f"prog: main.o {' '.join(objs)}\n\tcc -o $@ $^\n%.o: %.c\n\tcc -O2 -c $< -o $@\n")


def recursive_project(root):
    """Two subdirectories built by sub-makes into libraries, then a top-level link."""
    for sub, fn in (("liba", "fa"), ("libb", "fb")):
        write(f"{root}/{sub}/{fn}1.c", f"int {fn}1(void){{return 1;}}\n")
        write(f"{root}/{sub}/{fn}2.c", f"int {fn}2(void){{return 2;}}\n")
        write(f"{root}/{sub}/Makefile",
              f"{sub}.a: {fn}1.o {fn}2.o\n\tar rc $@ $^\n%.o: %.c\n\tcc -O2 -c $< -o $@\n")
    write(f"{root}/main.c", "int fa1(void);int fb2(void);\nint main(void){return fa1()+fb2()==3?0:1;}\n")
    write(f"{root}/Makefile",
          "prog: main.o liba libb\n\tcc -o $@ main.o liba/liba.a libb/libb.a\n"
          "liba libb:\n\t$(MAKE) -C $@\n"
          "main.o: main.c\n\tcc -O2 -c $< -o $@\n"
          ".PHONY: liba libb\n")


def tree_digest(root):
    """Every file under root with a hash of its content."""
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, root)] = hashlib.sha256(fh.read()).hexdigest()
    return out


def capture(cwd, out, make_args, extra=()):
    return subprocess.run([SPRITESIM, "trace", "capture", "--out", out, *extra, "--", "make", *make_args],
                          cwd=cwd, capture_output=True, text=True, timeout=300)


def jobs_by_id(trace_path):
    with open(trace_path) as f:
        trace = json.load(f)
    return trace, {j["id"]: j for j in trace["jobs"]}


@unittest.skipUnless(shutil.which("make") and shutil.which("cc"), "needs GNU make and cc")
class CaptureCase(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="spritesim-capture-test-")
        self.tmp = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def test_flat_build_parallel(self):
        src = os.path.join(self.tmp, "flat")
        flat_project(src)
        out = os.path.join(self.tmp, "flat.json")
        p = capture(src, out, ["-j2"])
        self.assertEqual(p.returncode, 0, p.stderr)
        trace, jobs = jobs_by_id(out)
        self.assertEqual(trace["version"], 3)
        self.assertEqual(trace["reference_profile"], "host")
        self.assertEqual(len(jobs), FILES + 2)
        compiles = {f"m{i}.o" for i in range(1, FILES + 1)} | {"main.o"}
        for c in compiles:
            self.assertEqual(jobs[c]["kind"], "compile", c)
            self.assertEqual(jobs[c]["deps"], [])
            self.assertIn(c.replace(".o", ".c"), jobs[c]["argv"][-1])
            self.assertEqual(jobs[c]["exit_status"], 0)
            self.assertGreater(jobs[c]["cpu_s"], 0)
            self.assertGreaterEqual(jobs[c]["wall_s"], 0)
            self.assertEqual(jobs[c]["cwd"], src)
        self.assertEqual(jobs["prog"]["kind"], "link")
        self.assertEqual(set(jobs["prog"]["deps"]), compiles)
        self.assertEqual(subprocess.run([os.path.join(src, "prog")]).returncode, 0)
        info = subprocess.run([SPRITESIM, "trace", "info", out], capture_output=True, text=True)
        self.assertEqual(info.returncode, 0, info.stderr)
        self.assertIn("jobs: 26", info.stdout)

    def test_same_result_and_output_as_plain_make(self):
        plain = os.path.join(self.tmp, "plain")
        captured = os.path.join(self.tmp, "captured")
        flat_project(plain)
        flat_project(captured)
        p_plain = subprocess.run(["make"], cwd=plain, capture_output=True, text=True)
        p_cap = capture(captured, os.path.join(self.tmp, "c.json"), [])
        self.assertEqual(p_plain.returncode, 0)
        self.assertEqual(p_cap.returncode, 0, p_cap.stderr)
        self.assertEqual(p_cap.stdout, p_plain.stdout)  # make's own output is untouched; capture speaks on stderr
        self.assertEqual(tree_digest(captured), tree_digest(plain))

    def test_quoting_and_oneshell_untouched(self):
        makefiles = {
            "quoting.mk": "all: one two\none:\n\t@echo \"a  b\" 'c$$HOME' \\\n\t  continued; echo x | tr x z\n"
                          "two: one\n\t@for i in 1 2; do \\\n\t  echo \"$$i\"; done\n\t@printf '%s\\n' 'q\"uote'\n",
            "oneshell.mk": ".ONESHELL:\nall:\n\t@x=1\n\techo $$x\n",
        }
        for name, text in makefiles.items():
            src = os.path.join(self.tmp, name)
            write(f"{src}/Makefile", text)
            plain = subprocess.run(["make"], cwd=src, capture_output=True, text=True)
            cap = capture(src, os.path.join(self.tmp, name + ".json"), [], ["--quiet"])
            self.assertEqual(plain.returncode, 0, plain.stderr)
            self.assertEqual((cap.returncode, cap.stdout, cap.stderr), (0, plain.stdout, plain.stderr), name)
            _, jobs = jobs_by_id(os.path.join(self.tmp, name + ".json"))
            self.assertIn("all" if name == "oneshell.mk" else "two", jobs)

    def test_recursive_make(self):
        src = os.path.join(self.tmp, "rec")
        recursive_project(src)
        out = os.path.join(self.tmp, "rec.json")
        p = capture(src, out, ["-j2"])
        self.assertEqual(p.returncode, 0, p.stderr)
        _, jobs = jobs_by_id(out)
        for sub, fn in (("liba", "fa"), ("libb", "fb")):
            for n in (1, 2):
                obj = jobs[f"{sub}/{fn}{n}.o"]
                self.assertEqual(obj["kind"], "compile")
                self.assertEqual(obj["cwd"], os.path.join(src, sub))
                self.assertIn(sub, obj["deps"])  # after the sub-make that runs it has started
            lib = jobs[f"{sub}/{sub}.a"]
            self.assertEqual(set(lib["deps"]) - {sub}, {f"{sub}/{fn}1.o", f"{sub}/{fn}2.o"})
        prog = jobs["prog"]
        for d in ("main.o", "liba", "libb", "liba/liba.a", "libb/libb.a"):
            self.assertIn(d, prog["deps"])
        self.assertEqual(len(jobs), 10)  # 5 compiles, 2 archives, 2 sub-makes and the link
        self.assertEqual(subprocess.run([os.path.join(src, "prog")]).returncode, 0)

    def test_failing_recipe(self):
        src = os.path.join(self.tmp, "fail")
        write(f"{src}/Makefile", "all: ok bad\nok:\n\ttouch ok\nbad: ok\n\techo failing; exit 3\n")
        out = os.path.join(self.tmp, "fail.json")
        p_plain = subprocess.run(["make"], cwd=src, capture_output=True, text=True)
        os.remove(f"{src}/ok")
        p = capture(src, out, [])
        self.assertEqual(p_plain.returncode, 2)
        self.assertEqual(p.returncode, p_plain.returncode, p.stderr)  # make's status is capture's
        _, jobs = jobs_by_id(out)
        self.assertEqual(jobs["bad"]["exit_status"], 3)
        self.assertEqual(jobs["ok"]["exit_status"], 0)
        self.assertEqual(jobs["bad"]["deps"], ["ok"])

    def test_nothing_to_do_and_usage_errors(self):
        src = os.path.join(self.tmp, "empty")
        write(f"{src}/Makefile", "done:\n\ttouch done\n")
        write(f"{src}/done", "")  # up to date: make runs no recipe
        out = os.path.join(self.tmp, "none.json")
        p = capture(src, out, [])
        self.assertEqual(p.returncode, 4)  # bad input: a build that ran no recipe gives no trace
        self.assertIn("no recipe", p.stderr)
        self.assertFalse(os.path.exists(out))
        p = subprocess.run([SPRITESIM, "trace", "capture", "--", "make"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--out", p.stderr)


if __name__ == "__main__":
    run_script("test_capture.py", globals())
