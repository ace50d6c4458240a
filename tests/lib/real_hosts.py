# Test hosts for real mode (tests/real/test_real_build.py, bench/real_project.py): agents in network namespaces joined
# by veth links to a bridge in the root namespace when that is allowed (root with CAP_SYS_ADMIN), else on distinct
# loopback ports, each with its own owner-control file; and a coordinator. Names are suffixed with the process id;
# close() removes everything (daemons, namespaces, links, files).
import os
import shutil
import signal
import subprocess
import tempfile

from testlib import free_port, read, wait_for

SECRET = b"test-real-build-shared-secret-0123456789"
HOSTS = 3


def run(cmd, check=True):
    return subprocess.run(cmd, check=check, capture_output=True, text=True)


class Network:
    """Network namespaces NS-i joined by veth links to a bridge in the root namespace (which has the address the
    coordinator and rexec use). Names are suffixed with this process's id; remove() undoes everything."""

    def __init__(self, hosts):
        pid = os.getpid()
        self.bridge = f"ssb{pid}"
        self.namespaces = [f"spritesim-{pid}-h{i}" for i in range(hosts)]
        self.links = [f"ssv{pid}h{i}" for i in range(hosts)]
        subnet = f"10.{200 + pid % 50}.{pid // 50 % 250}"  # one /24 per test run
        self.root_addr = f"{subnet}.1"
        self.addrs = [f"{subnet}.{i + 2}" for i in range(hosts)]
        try:
            run(["ip", "link", "add", self.bridge, "type", "bridge"])
            run(["ip", "addr", "add", f"{self.root_addr}/24", "dev", self.bridge])
            run(["ip", "link", "set", self.bridge, "up"])
            for ns, link, addr in zip(self.namespaces, self.links, self.addrs):
                run(["ip", "netns", "add", ns])
                run(["ip", "link", "add", link, "type", "veth", "peer", "name", "eth0", "netns", ns])
                run(["ip", "link", "set", link, "master", self.bridge, "up"])
                run(["ip", "-n", ns, "addr", "add", f"{addr}/24", "dev", "eth0"])
                run(["ip", "-n", ns, "link", "set", "eth0", "up"])
                run(["ip", "-n", ns, "link", "set", "lo", "up"])
        except BaseException:
            self.remove()
            raise

    def remove(self):
        for ns in self.namespaces:
            pids = run(["ip", "netns", "pids", ns], check=False).stdout.split()
            for p in pids:  # orphaned recipes of a killed agent would keep the namespace alive
                try:
                    os.kill(int(p), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            run(["ip", "netns", "del", ns], check=False)  # takes its end of the veth pair, and so the pair
        run(["ip", "link", "del", self.bridge], check=False)


class Cluster:
    """HOSTS agents (each with its own owner-control file) in network namespaces or on loopback ports, and one
    coordinator at a time (start_migd), under a temporary directory."""

    def __init__(self, spritesim, netns=True, poll_ms=2):
        """poll_ms: the agents' --poll-ms (tests: 2, so that an owner's return is seen at once); None for the
        agent's default (benches: a deployment's daemons)."""
        self.spritesim = spritesim
        self.poll_ms = poll_ms
        self.dir = tempfile.mkdtemp(prefix="spritesim-real-build-")
        self.procs = []
        self.net = None
        self.migd = None
        try:
            if not netns or os.environ.get("SPRITESIM_TEST_LOOPBACK"):  # the fallback, where namespaces would work
                raise PermissionError("loopback asked for")
            self.net = Network(HOSTS)
            self.mode = "network namespaces"
        except (subprocess.CalledProcessError, FileNotFoundError, PermissionError) as e:
            why = e.stderr.strip() if isinstance(e, subprocess.CalledProcessError) else str(e)
            self.mode = f"loopback ports (network namespaces unavailable: {why})"
        print(f"test hosts: {self.mode}", flush=True)
        self.secret = self.path("secret")
        with open(self.secret, "wb") as f:
            f.write(SECRET + b"\n")
        os.chmod(self.secret, 0o600)
        self.loadavg = self.path("loadavg")
        with open(self.loadavg, "w") as f:
            f.write("0.00 0.00 0.00 1/100 1\n")  # a quiet host whatever this machine's load
        self.hosts = []
        self.agent_pids = {}  # every agent process ever started -> its host's name (recipes log their parent pid)
        for i in range(HOSTS):
            h = {"name": f"h{i}", "owner": self.path(f"owner-h{i}"), "log": self.path(f"agent-h{i}.log"),
                 "ns": self.net.namespaces[i] if self.net else None,
                 "addr": self.net.addrs[i] if self.net else "127.0.0.1"}
            with open(h["owner"], "w") as f:
                f.write("idle\n")
            self.hosts.append(h)
            self.start_agent(h)

    def path(self, name):
        return os.path.join(self.dir, name)

    def start_agent(self, h):
        h["port"] = free_port()  # a fresh port on every start: a killed agent's port may linger
        cmd = [self.spritesim, "agent", "--port", str(h["port"]), "--bind", h["addr"], "--secret", self.secret,
               "--owner-control", h["owner"], "--name", h["name"], "--loadavg", self.loadavg]
        if self.poll_ms is not None:
            cmd += ["--poll-ms", str(self.poll_ms)]
        if os.geteuid() == 0:
            cmd.append("--allow-root")  # tests only: commands run as the test's user
        if h["ns"]:
            cmd = ["ip", "netns", "exec", h["ns"]] + cmd  # ip execs the agent: the pid is the agent's
        offset = len(read(h["log"]))
        with open(h["log"], "a") as f:
            h["proc"] = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT)
        self.procs.append(h["proc"])
        self.agent_pids[h["proc"].pid] = h["name"]
        wait_for(lambda: "listening" in read(h["log"])[offset:], f"agent {h['name']} to listen")

    def revive(self):
        """Restarts the agents that died (scenario C kills one)."""
        for h in self.hosts:
            if h["proc"].poll() is not None:
                self.start_agent(h)

    def start_migd(self, name):
        """A coordinator of its own for a scenario: fresh records in DIR/name/out, state in DIR/name/state.json."""
        self.stop_migd()
        base = self.path(name)
        os.makedirs(base, exist_ok=True)
        self.out = os.path.join(base, "out")
        self.state = os.path.join(base, "state.json")
        self.migd_log = os.path.join(base, "migd.log")
        self.port = free_port()
        self.migd_args = [self.spritesim, "migd", "--port", str(self.port), "--secret", self.secret, "--agents",
                          ",".join(f"{h['addr']}:{h['port']}" for h in self.hosts), "--input-threshold", "0",
                          "--out", self.out, "--state", self.state]
        self.restart_migd()
        return base

    def restart_migd(self):
        """Starts the scenario's coordinator (again: same port, state and records) and waits for it to watch the
        agents."""
        watching = read(self.migd_log).count("watching agent")
        with open(self.migd_log, "a") as f:
            self.migd = subprocess.Popen(self.migd_args, stdout=f, stderr=subprocess.STDOUT)
        self.procs.append(self.migd)
        wait_for(lambda: read(self.migd_log).count("watching agent") >= watching + HOSTS, "migd to watch the agents")

    def kill_migd(self):
        """SIGKILL: no goodbye, and its last checkpoint may lag."""
        self.migd.kill()
        self.migd.wait(timeout=10)

    def stop_migd(self):
        if self.migd and self.migd.poll() is None:
            self.migd.terminate()
            self.migd.wait(timeout=10)

    def host_of(self, ppid):
        return self.agent_pids.get(int(ppid), "home")

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        if self.net:
            self.net.remove()
            self.net = None
        shutil.rmtree(self.dir, ignore_errors=True)
