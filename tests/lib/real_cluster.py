# Real mode's loopback test cluster, shared by tests/real/test_real.py and test_real_failures.py: three agents (each
# with its own owner-control file) and a coordinator as child processes under a temporary directory; frames and an
# authenticated raw client for protocol-level tests; a TCP relay that can break a connection; a small C project.
# The scripts set SPRITESIM here before starting a Cluster.
import hashlib
import hmac
import json
import os
import secrets
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import unittest

from testlib import free_port, read, rows, run_script, skip_without_loopback, wait_for

SPRITESIM = None  # the spritesim executable, set by the test script
SECRET = b"test-real-shared-secret-0123456789"
PROTOCOL_VERSION = 4  # real/protocol.hpp


class Cluster:
    """Three agents and a coordinator under a temporary directory."""

    def __init__(self, policy="sprite", params=None, run_as=("--allow-root",), daemon_args=()):
        """daemon_args: more options for every agent and migd (e.g. --handshake-timeout S)."""
        self.dir = tempfile.mkdtemp(prefix="spritesim-real-")
        self.procs = []
        self.loadavg = self.path("loadavg")
        with open(self.loadavg, "w") as f:
            f.write("0.00 0.00 0.00 1/100 1\n")  # a quiet host whatever this machine's load
        self.agents = []
        for i in range(3):
            name = f"h{i}"
            secret = self.path(f"secret-{name}")
            with open(secret, "wb") as f:
                f.write(SECRET + b"\n")
            os.chmod(secret, 0o600)
            owner = self.path(f"owner-{name}")  # absent: idle since boot (condor's start rule needs that)
            port = free_port()
            self.start([f"agent", "--port", str(port), "--secret", secret, "--owner-control", owner, "--name", name,
                        "--loadavg", self.loadavg, *run_as, "--poll-ms", "2", *daemon_args], f"agent-{name}.log")
            self.agents.append({"name": name, "port": port, "owner": owner, "log": self.path(f"agent-{name}.log")})
        for a in self.agents:
            wait_for(lambda: "listening" in read(a["log"]), f"agent {a['name']} to listen")
        self.secret = self.path("secret-h0")
        self.port = free_port()
        self.out = self.path("out")
        args = ["migd", "--port", str(self.port), "--secret", self.secret, "--agents",
                ",".join(f"127.0.0.1:{a['port']}" for a in self.agents), "--policy", policy, "--input-threshold", "0",
                "--out", self.out, "--state", self.path("state.json"), *daemon_args]
        if params:
            args += ["--policy-params", json.dumps(params)]
        self.migd_args = args
        self.start_migd()

    def start_migd(self):
        self.start(self.migd_args, "migd.log")
        self.migd = self.procs[-1]
        self.migd_log = self.path("migd.log")
        live = sum(self.procs[i].poll() is None for i in range(len(self.agents)))  # test_6 kills one
        wait_for(lambda: read(self.migd_log).count("watching agent") == live, "migd to watch the agents")
        # migd writes the --out files once before it takes clients, in parallel with watching the agents: a test
        # that reads them before its first command must not find them missing (results.json is written last).
        wait_for(lambda: os.path.exists(os.path.join(self.out, "results.json")), "migd's first --out files")

    def path(self, name):
        return os.path.join(self.dir, name)

    def start(self, args, log):
        with open(self.path(log), "w") as f:
            self.procs.append(subprocess.Popen([SPRITESIM] + args, stdout=f, stderr=subprocess.STDOUT))

    def rexec(self, cmd, stdin=b"", **kw):
        return subprocess.run([SPRITESIM, "rexec", "--migd", f"127.0.0.1:{self.port}", "--secret", self.secret,
                               "--quiet", "--"] + cmd, input=stdin, capture_output=True, **kw)

    def rexec_async(self, cmd, **kw):
        return subprocess.Popen([SPRITESIM, "rexec", "--migd", f"127.0.0.1:{self.port}", "--secret", self.secret,
                                 "--quiet", "--"] + cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, **kw)

    def kill_agent_under(self, cmd):
        """Starts cmd through rexec, waits until it runs on an agent, and SIGKILLs that agent. Returns the rexec
        process, the job's exec row of migrations.csv and the agent."""
        migrations = os.path.join(self.out, "migrations.csv")
        before = len(rows(migrations))
        p = self.rexec_async(cmd)
        wait_for(lambda: len(rows(migrations)) > before, "the job placed")
        job = rows(migrations)[-1]
        assert job["kind"] == "exec", job
        agent = self.agent(job["to_host"])
        wait_for(lambda: f"job {job['job_id'].rsplit('-', 1)[1]} attempt 1 started" in read(agent["log"]),
                 "the job to start remotely")
        proc = self.procs[self.agents.index(agent)]
        proc.kill()
        proc.wait(timeout=10)
        return p, job, agent

    def agent(self, name):
        return next(a for a in self.agents if a["name"] == name)

    def close(self):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            p.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


def frame(payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + payload


def recv_frame(sock):
    def exact(n):
        buf = b""
        while len(buf) < n:
            chunk = sock.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf
    head = exact(4)
    if head is None:
        return None
    body = exact(struct.unpack(">I", head)[0])
    return json.loads(body) if body is not None else None


def hostile(port, send):
    """Runs one hostile exchange; returns (the error message received, whether the daemon closed the connection)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        reply = send(s)
        try:
            closed = s.recv(1) == b""
        except (ConnectionResetError, socket.timeout):
            closed = True
        return reply, closed


def small_c_project(files):
    """A C program of `files` functions and a main, and a Makefile whose compiles last at least 0.2 s each (so
    that an owner can come back while one runs on their host)."""
    src = {f"f{i}.c": f"int f{i}(int x) {{ int s = 0; for (int k = 0; k < x; ++k) s += k * {i + 1}; return s; }}\n"
           for i in range(files)}
    src["main.c"] = "".join(f"int f{i}(int);\n" for i in range(files)) + \
        "#include <stdio.h>\nint main(void) { long t = 0;\n" + \
        "".join(f"  t += f{i}(10);\n" for i in range(files)) + '  printf("%ld\\n", t); return 0; }\n'
    objs = " ".join(f"{n[:-2]}.o" for n in sorted(src))
    return src, f"prog: {objs}\n\tcc -o prog {objs}\n%.o: %.c\n\tsleep 0.2; cc -O2 -c $< -o $@\n"


def write_tree(d, src, makefile):
    os.makedirs(d, exist_ok=True)
    for name, text in list(src.items()) + [("Makefile", makefile)]:
        with open(os.path.join(d, name), "w") as f:
            f.write(text)


def authenticated(port, first):
    """A client that knows the secret: hello, challenge (checked), auth with `first` right after it; returns the
    socket once welcomed."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    nonce = secrets.token_hex(32)
    s.sendall(frame(json.dumps({"type": "hello", "version": PROTOCOL_VERSION, "name": "test", "nonce": nonce}).encode()))
    ch = recv_frame(s)
    server = hmac.new(SECRET, f"server|{nonce}|{ch['nonce']}".encode(), hashlib.sha256).hexdigest()
    assert ch["mac"] == server, "the daemon does not know the secret"
    mac = hmac.new(SECRET, f"client|{ch['nonce']}|{nonce}".encode(), hashlib.sha256).hexdigest()
    s.sendall(frame(json.dumps({"type": "auth", "mac": mac}).encode()) + frame(json.dumps(first).encode()))
    assert recv_frame(s)["type"] == "welcome"
    return s


def until(s, type_):
    """Frames from s up to the first of the given type (reports in between are skipped)."""
    while True:
        m = recv_frame(s)
        if m is None or m["type"] == type_:
            return m


class WithCluster(unittest.TestCase):
    """Test classes sharing one cluster (a fresh one per class)."""

    @classmethod
    def setUpClass(cls):
        cls.c = Cluster()

    @classmethod
    def tearDownClass(cls):
        cls.c.close()


class Relay:
    """A TCP relay in front of an agent, so that a test can break some connections through it (migd's watch link)
    while the agent and the other connections live on."""

    def __init__(self, target_port):
        self.target = target_port
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.pairs = []
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                client, _ = self.sock.accept()
                upstream = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                return
            self.pairs.append((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self.pump, args=(a, b), daemon=True).start()

    @staticmethod
    def pump(a, b):
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        for x in (a, b):
            try:
                x.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self, pairs):
        """Breaks the connections made through the relay among the first `pairs` (those already closed stay so)."""
        for pair in self.pairs[:pairs]:
            for x in pair:
                try:
                    x.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.sock.close()


def run_cluster_script(script, module_globals, before=None):
    """The main of the scripts that start Clusters: run_script, which sets the script's SPRITESIM; this module gets it
    too, the script skips (exit 77) where loopback sockets are not allowed, then `before` runs."""
    def setup():
        global SPRITESIM
        SPRITESIM = module_globals["SPRITESIM"]
        skip_without_loopback()
        if before:
            before()
    run_script(script, module_globals, setup)
