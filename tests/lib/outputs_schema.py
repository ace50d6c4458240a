# The files of a run against docs/outputs.md (issue 11, point 4): the tables of its `spritesim run` part parsed into
# columns with units, then every CSV header and value, and every results.json field, checked against them. Part of
# the property tests (tests/lib/properties.py); each check returns a list of violations.
import csv
import math
import os
import re

OUTPUTS_DOC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "outputs.md")
# Columns whose values are names from a closed list: the value must be one the doc's "meaning" cell names.
ENUM_COLUMNS = {("jobs.csv", "kind"), ("migrations.csv", "kind"), ("hosts.csv", "role"),
                ("evictions.csv", "reason"), ("decisions.csv", "event"), ("decisions.csv", "kind")}
# Columns that name a host (decisions.csv's may be empty: "if any").
HOST_COLUMNS = {"home_host", "exec_host", "from_host", "to_host", "host"}


class Column:
    def __init__(self, name, unit, meaning):
        self.name, self.unit, self.meaning = name, unit, meaning


def parse_outputs_doc(path=OUTPUTS_DOC):
    """{section ("results.json", "jobs.csv", ..., "usage"): [Column]} from the tables of docs/outputs.md's
    `spritesim run` part. A cell "a, b" with unit "count, s" documents two columns."""
    with open(path) as f:
        text = f.read()
    part = text.split("## `spritesim run", 1)[1].split("\n## ", 1)[0]
    tables = {}
    section = None
    for line in part.splitlines():
        m = re.match(r"^###\s+(?:`)?([\w.]+)(?:`)?", line)
        if m:
            section = m.group(1)
            if section.startswith("usage"):
                section = "usage"
            tables.setdefault(section, [])
            continue
        if section is None or not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or cells[0] in ("column", "field") or set(cells[0]) <= set("-: "):
            continue
        names = [n.strip() for n in cells[0].split(",")]
        units = [u.strip() for u in cells[1].split(",")]
        if len(units) != len(names):  # "a, b, c_s | count, s": seconds for the *_s names, the first unit else
            units = [units[-1] if n.endswith("_s") and units[-1] == "s" else units[0] for n in names]
        for n, u in zip(names, units):
            tables[section].append(Column(n, u, cells[2]))
    return tables


_DOC = None


def doc():
    global _DOC
    if _DOC is None:
        _DOC = parse_outputs_doc()
    return _DOC


def _mentions(meaning, value):
    words = set(re.findall(r"[A-Za-z0-9_][A-Za-z0-9_-]*", meaning.replace("`", " ")))
    return value in words


def _number(text):
    try:
        v = float(text)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def check_value(file, col, value, hosts):
    """Why a CSV cell does not fit its documented column, or None."""
    u = col.unit
    if u in ("s", "ratio", "fraction"):
        v = _number(value)
        if v is None:
            return f"{file}: {col.name} = {value!r} is not a number ({u})"
        if v < 0:
            return f"{file}: {col.name} = {value} is negative ({u})"
        if u == "fraction" and v > 1 + 1e-6:
            return f"{file}: {col.name} = {value} is a fraction above 1"
        return None
    if u in ("count", "B"):
        if not re.fullmatch(r"\d+", value):
            return f"{file}: {col.name} = {value!r} is not a whole number ({u})"
        return None
    if u == "0/1":
        return None if value in ("0", "1") else f"{file}: {col.name} = {value!r} is not 0 or 1"
    # unit "-": names
    if (file, col.name) in ENUM_COLUMNS:
        if not _mentions(col.meaning, value):
            return f"{file}: {col.name} = {value!r} is not among the values docs/outputs.md names"
    elif col.name in HOST_COLUMNS:
        if value == "" and file == "decisions.csv":
            return None
        if value not in hosts:
            return f"{file}: {col.name} = {value!r} is not a host of the run"
    elif file == "decisions.csv" and col.name == "client":
        if not re.fullmatch(r"-?\d+", value) or int(value) < -1:
            return f"{file}: client = {value!r} is not a client number or -1"
    elif col.name == "job_id" and value == "":
        return f"{file}: empty job_id"
    return None


def read_csv(path):
    """(header, rows as lists) of a CSV file; raises on a malformed file."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        return [], []
    return rows[0], rows[1:]


def check_csv_schema(run, expected):
    v = []
    tables = doc()
    hosts = set(expected.hosts) | {"fileserver", "ethernet"}
    for name in ("jobs.csv", "migrations.csv", "hosts.csv", "evictions.csv", "decisions.csv", "owners.csv"):
        path = run.path(name)
        if not os.path.exists(path):
            v.append(f"{name}: missing")
            continue
        cols = tables.get(name)
        if not cols:
            v.append(f"docs/outputs.md has no table for {name}")
            continue
        try:
            header, rows = read_csv(path)
        except (csv.Error, UnicodeDecodeError) as e:
            v.append(f"{name}: not a CSV file ({e})")
            continue
        want = [c.name for c in cols]
        if header != want:
            v.append(f"{name}: header {header} is not the documented {want}")
            continue
        bad = 0
        for i, r in enumerate(rows):
            if len(r) != len(cols):
                v.append(f"{name}: row {i + 2} has {len(r)} fields, not {len(cols)}")
                bad += 1
            else:
                for c, value in zip(cols, r):
                    why = check_value(name, c, value, hosts)
                    if why:
                        v.append(f"{why} (row {i + 2})")
                        bad += 1
                        break
            if bad >= 5:
                v.append(f"{name}: further rows not checked")
                break
    return v


def _json_type_ok(unit, value, name):
    if unit == "count" and name.endswith("_mean"):  # a mean of counts (builds_hosts_wanted_mean)
        return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0
    if unit == "count":
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0
    if unit in ("s", "h", "1/h"):
        return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0
    if unit == "ratio":
        return value is None if name == "speedup" and value is None else (
            isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0)
    if unit == "fraction":
        return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1 + 1e-6
    return True


def check_results_schema(results, expected):
    """Every field of results.json documented with a fitting type, and the documented ones present."""
    v = []
    tables = doc()
    top = {c.name: c for c in tables.get("results.json", [])}
    usage = {c.name: c for c in tables.get("usage", [])}
    for key, value in results.items():
        if key == "usage":
            if not isinstance(value, dict):
                v.append("results.json: usage is not an object")
                continue
            for uk, uv in value.items():
                col = usage.get(uk)
                if col is None and uk.startswith("migrations_per_host_hour"):
                    col = usage.get("migrations_per_host_hour.KIND")
                    if isinstance(uv, dict):
                        for kind, rate in uv.items():
                            if not _mentions(tables["migrations.csv"][2].meaning, kind):
                                v.append(f"results.json: usage.migrations_per_host_hour.{kind} is no migration kind")
                            if not _json_type_ok("1/h", rate, kind):
                                v.append(f"results.json: usage.migrations_per_host_hour.{kind} = {rate!r}")
                        continue
                if col is None:
                    v.append(f"results.json: usage.{uk} is not documented in docs/outputs.md")
                elif not _json_type_ok(col.unit, uv, uk):
                    v.append(f"results.json: usage.{uk} = {uv!r} does not fit its unit {col.unit!r}")
            continue
        if isinstance(value, dict):
            for sk, sv in value.items():
                col = top.get(f"{key}.{sk}")
                if col is None:
                    v.append(f"results.json: {key}.{sk} is not documented in docs/outputs.md")
                elif not _json_type_ok(col.unit, sv, sk):
                    v.append(f"results.json: {key}.{sk} = {sv!r} does not fit its unit {col.unit!r}")
            continue
        col = top.get(key)
        if col is None:
            v.append(f"results.json: {key} is not documented in docs/outputs.md")
        elif not _json_type_ok(col.unit, value, key):
            v.append(f"results.json: {key} = {value!r} does not fit its unit {col.unit!r}")
    required = ["makespan_s", "speedup", "jobs_total", "jobs_completed", "remote_execs", "remote_jobs", "migrations",
                "evictions", "restarts", "host_evictions", "seed", "policy_decisions", "migd_requests"]
    if expected.kind == "pmake":
        required += ["trace", "scan_s", "utilization"]
    else:
        required += ["usage", "processes", "build_sessions"]
    for key in required:
        if key not in results:
            v.append(f"results.json: no {key}")
    return v
