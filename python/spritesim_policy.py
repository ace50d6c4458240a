"""Write a spritesim external policy in Python (docs/external-policies.md).

A policy is a function of the view and the events since its last call that returns decisions. run() speaks the
protocol on stdin and stdout: it answers the hello, calls your policy once per "decide" message and writes its
decisions back, one JSON line each, flushed. print() goes to stderr (the run's log): stdout is the protocol's.

    import spritesim_policy as sp

    def make(params):
        def decide(view, events):
            a = sp.Answer(view)
            ...
            return a.take()
        return decide

    sp.run(make, name="mine")

Standard library only. The helpers below mirror policy/policy_support.hpp (Answer, takes_foreign_work, foreign_on,
request_home, vacate_host, evict_for_returning_owners), so a policy ported from C++ keeps its shape.
"""
import bisect
import json
import sys

PROTOCOL = 1

# Process states, event kinds and decision kinds, as the protocol spells them (core/vocabulary.hpp).
WAITING, RUNNING, SUSPENDED, MIGRATING = "waiting", "running", "suspended", "migrating"
HOST_REQUEST, HOST_RETURNED, PROCESS_ARRIVED, PROCESS_EXITED = (
    "host_request", "host_returned", "process_arrived", "process_exited")
OWNER_ACTIVE, OWNER_IDLE, HOST_DOWN, MIGRATION_DONE = "owner_active", "owner_idle", "host_down", "migration_done"
DECISION_REJECTED, TIMER = "decision_rejected", "timer"


class Record:
    """A JSON object's fields as attributes (h.idle_since_s rather than h["idle_since_s"])."""

    def __init__(self, fields):
        self.__dict__.update(fields)

    def __repr__(self):
        return f"{type(self).__name__}({self.__dict__})"


class Host(Record):
    pass


class Process(Record):
    pass


class Event(Record):
    """An event; a DECISION_REJECTED one has `rejected` (the decision, a dict) and `reason`."""


class View:
    """The ClusterView of one call: now_s, hosts (indexed by id), processes (sorted by id), held_by_client,
    client_homes, and the helpers of policy/cluster_view.hpp."""

    def __init__(self, msg):
        self.now_s = msg["now_s"]
        self.hosts = [Host(h) for h in msg["hosts"]]
        self.processes = [Process(p) for p in msg["processes"]]
        self.held_by_client = msg["held_by_client"]
        self.client_homes = msg["client_homes"]
        self._ids = [p.id for p in self.processes]

    def process(self, pid):
        i = bisect.bisect_left(self._ids, pid)
        return self.processes[i] if i < len(self._ids) and self._ids[i] == pid else None

    def host(self, hid):
        return self.hosts[hid] if 0 <= hid < len(self.hosts) else None

    def held(self, client):
        return self.held_by_client[client] if 0 <= client < len(self.held_by_client) else 0

    def client_home(self, client):
        return self.client_homes[client] if 0 <= client < len(self.client_homes) else -1

    def input_idle_s(self, h):
        return 0 if h.owner_active or h.is_file_server else self.now_s - h.last_input_s

    def age_s(self, p):
        return 0 if p.state == WAITING else self.now_s - p.run_start_s


# Decisions, as the protocol writes them (absent fields: -1 for ids, 0 for at_s).
def grant_host(client, host):
    return {"kind": "grant_host", "client": client, "host": host}


def revoke_host(client, host):
    return {"kind": "revoke_host", "client": client, "host": host}


def place(proc, host):
    return {"kind": "place", "proc": proc, "host": host}


def migrate(proc, host):
    return {"kind": "migrate", "proc": proc, "host": host}


def evict(proc):
    return {"kind": "evict", "proc": proc}


def suspend(proc):
    return {"kind": "suspend", "proc": proc}


def resume(proc):
    return {"kind": "resume", "proc": proc}


def restart(proc):
    return {"kind": "restart", "proc": proc}


def wake_at(at_s):
    return {"kind": "wake_at", "at_s": at_s}


def takes_foreign_work(h):
    """Sprite's rule: up, not the file server, meets the idle rule, owner not at the console."""
    return h.up and not h.is_file_server and h.available and not h.owner_active


def same_architecture(view, h, home):
    """Whether host `h` may run a process whose home is `home`: both of one architecture (migd refuses the rest;
    Sprite migrated only within an architecture). True when `home` is unknown (-1)."""
    return home < 0 or home >= len(view.hosts) or h.architecture == view.hosts[home].architecture


def foreign_on(view, host):
    """RUNNING or SUSPENDED processes on `host` whose home is elsewhere, by id."""
    return [p for p in view.processes
            if p.host == host and p.home != host and p.state in (RUNNING, SUSPENDED)]


def request_home(view, ev):
    """The home of a HOST_REQUEST's client: the event's, else the view's, else -1."""
    return ev.home if ev.home >= 0 else view.client_home(ev.client)


class Answer:
    """One answer under construction: refuses a second decision on a process and a second grant or revoke of a
    host, and tracks hosts held per client and processes sent to or taken from each host (projected loads)."""

    def __init__(self, view):
        self.view = view
        self.out = []
        self._touched, self._granted, self._revoked = set(), set(), set()
        self._held_delta, self._delta = {}, {}

    def _add(self, table, key, n):
        table[key] = table.get(key, 0) + n

    def grant(self, client, host):
        if host in self._granted:
            return False
        self._granted.add(host)
        self.out.append(grant_host(client, host))
        self._add(self._held_delta, client, 1)
        return True

    def revoke(self, client, host):
        if host in self._revoked:
            return False
        self._revoked.add(host)
        self.out.append(revoke_host(client, host))
        self._add(self._held_delta, client, -1)
        return True

    def _on_process(self, decision, proc):
        if proc in self._touched:
            return False
        self._touched.add(proc)
        self.out.append(decision)
        return True

    def place(self, proc, host):
        if not self._on_process(place(proc, host), proc):
            return False
        self._add(self._delta, host, 1)
        return True

    def migrate(self, proc, host):
        p = self.view.process(proc)
        if p is None or not self._on_process(migrate(proc, host), proc):
            return False
        self._add(self._delta, p.host, -1)
        self._add(self._delta, host, 1)
        return True

    def evict(self, proc):
        """EVICT a migratable process, RESTART one that cannot migrate (both send it home)."""
        p = self.view.process(proc)
        if p is None or self.touched(proc):
            return False
        if not p.migratable:
            return self.restart(proc)
        self._on_process(evict(proc), proc)
        self._add(self._delta, p.host, -1)
        self._add(self._delta, p.home, 1)
        return True

    def restart(self, proc):
        p = self.view.process(proc)
        if p is None or not self._on_process(restart(proc), proc):
            return False
        self._add(self._delta, p.host, -1)
        self._add(self._delta, p.home, 1)
        return True

    def suspend(self, proc):
        return self._on_process(suspend(proc), proc)

    def resume(self, proc):
        return self._on_process(resume(proc), proc)

    def wake_at(self, at_s):
        self.out.append(wake_at(at_s))

    def touched(self, proc):
        return proc in self._touched

    def granted(self, host):
        return host in self._granted

    def revoked(self, host):
        return host in self._revoked

    def held(self, client):
        """Hosts held by `client` once this answer is carried out."""
        return self.view.held(client) + self._held_delta.get(client, 0)

    def extra_load(self, host):
        """Processes this answer sends to `host` minus those it takes away."""
        return self._delta.get(host, 0)

    def take(self):
        out, self.out = self.out, []
        return out


def vacate_host(view, host, a):
    """Owner return, Sprite style: revoke the host's grant and evict every other foreign process home."""
    h = view.host(host)
    if h is None:
        return
    if h.holder >= 0:
        a.revoke(h.holder, host)
    for p in foreign_on(view, host):
        if h.holder < 0 or p.client != h.holder:
            a.evict(p.id)


def evict_if_owner_back(view, done, a):
    """A process that just finished migrating onto a host whose owner is back is sent home at once."""
    p, h = view.process(done.proc), view.host(done.host)
    if (p is not None and h is not None and h.owner_active and p.host == h.id and p.home != h.id
            and p.state in (RUNNING, SUSPENDED)):
        a.evict(p.id)


def evict_for_returning_owners(view, events, a):
    """vacate_host for every OWNER_ACTIVE, evict_if_owner_back for every MIGRATION_DONE."""
    for ev in events:
        if ev.kind == OWNER_ACTIVE:
            vacate_host(view, ev.host, a)
        elif ev.kind == MIGRATION_DONE:
            evict_if_owner_back(view, ev, a)


class ProtocolError(Exception):
    pass


def _read(stdin):
    line = stdin.readline()
    return json.loads(line) if line else None


def run(make_policy, name, stdin=None, stdout=None):
    """Serves one run: the hello (make_policy(params) builds the policy, a callable (view, events) -> decisions),
    then one answer per decide message, until end of input (the run is over). Returns the exit status."""
    stdin = stdin or sys.stdin
    out = stdout or sys.stdout
    if stdout is None:
        sys.stdout = sys.stderr  # print() in a policy goes to the log, never into the protocol
    hello = _read(stdin)
    if hello is None:
        return 0
    if hello.get("type") != "hello" or hello.get("protocol") != PROTOCOL:
        raise ProtocolError(f"{name}: expected a hello of protocol {PROTOCOL}, got {hello!r}")
    decide = make_policy(hello.get("params", {}))
    _write(out, {"type": "hello", "protocol": PROTOCOL, "name": name})
    while (msg := _read(stdin)) is not None:
        if msg.get("type") != "decide":
            raise ProtocolError(f"{name}: expected a decide message, got type {msg.get('type')!r}")
        view = View(msg["view"])
        events = [Event(e) for e in msg["events"]]
        decisions = decide(view, events)
        _write(out, {"type": "decisions", "call": msg["call"], "decisions": list(decisions)})
    return 0


def _write(out, obj):
    out.write(json.dumps(obj, separators=(",", ":"), allow_nan=False) + "\n")
    out.flush()


def main(make_policy, name):
    """run() as a script's entry point: exits with its status."""
    sys.exit(run(make_policy, name))
