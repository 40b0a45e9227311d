"""Talk to programs running under sockfault with a control channel.

The protocol is that of sockfault(1), PROTOCOL: one JSON object a line each
way on a unix socket; an answer is zero or more data lines, then one line
with "ok". This module needs nothing but the standard library:

    import sockfault_ctl as sf

    proc = sf.start(["./server", "8080"], rules="send => delay 10ms")
    ch = sf.wait_channel(proc.pid)
    ch.fire("reset", peer="127.0.0.1:5432")   # the peer has its RST now
    assert "ECONNRESET" in proc.communicate()[1]

Works under pytest and in plain scripts.
"""

import json
import os
import socket
import subprocess
import time

__all__ = ["ChannelError", "Channel", "channel_dir", "channel_path", "start", "wait_channel", "pids"]


class ChannelError(Exception):
    """The channel refused a request, or could not be reached.

    `answer` is the last line of the answer (a dict) when there was one;
    `diags` the FILE:LINE:COL messages of a refused `load`."""

    def __init__(self, message, answer=None, diags=()):
        super().__init__(message)
        self.answer = answer
        self.diags = list(diags)


def channel_dir():
    """Where this user's channels are, as the library makes it."""
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg:
        return os.path.join(xdg, "sockfault")
    return "/tmp/sockfault-%d" % os.geteuid()


def channel_path(pid):
    return os.path.join(channel_dir(), "%d.sock" % pid)


def pids():
    """The pids with a channel socket (some may be stale)."""
    try:
        names = os.listdir(channel_dir())
    except FileNotFoundError:
        return []
    return sorted(int(n[:-5]) for n in names if n.endswith(".sock") and n[:-5].isdigit())


class Channel:
    """One connection to one process's channel."""

    def __init__(self, pid, path=None, timeout=10.0):
        self.pid = pid
        self.path = path or channel_path(pid)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(self.path)
        except OSError:
            self.sock.close()
            raise
        self._buf = b""

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _line(self):
        while b"\n" not in self._buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ChannelError("pid %d: the channel closed before the answer ended" % self.pid)
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return json.loads(line)

    def request(self, cmd, **fields):
        """Send one request; returns (data lines, last line). Raises
        ChannelError if the last line says "ok": false."""
        req = dict(cmd=cmd)
        req.update({k: v for k, v in fields.items() if v is not None})
        self.sock.sendall(json.dumps(req).encode() + b"\n")
        lines = []
        while True:
            obj = self._line()
            if "ok" in obj:
                if not obj["ok"]:
                    raise ChannelError("pid %d: %s" % (self.pid, obj.get("error")), obj,
                                       [l["diag"] for l in lines if "diag" in l])
                return lines, obj
            lines.append(obj)

    def hello(self):
        return self.request("hello")[1]

    def rules(self):
        """The rules in force (and switched off), each a dict: rule, text,
        enabled, matched, fired."""
        return self.request("rules")[0]

    def load(self, text=None, files=()):
        """Replace the rules: inline text (rules a line or `;`-separated)
        or files; all or nothing (ChannelError with .diags if bad)."""
        pieces = [(f, open(f).read()) for f in files]
        if text is not None:
            pieces.append(("-e", text))
        if not pieces:
            raise ValueError("load: no rules")
        for name, body in pieces[:-1]:
            self.request("load", file=name, text=body, more=True)
        return self.request("load", file=pieces[-1][0], text=pieces[-1][1])[1]

    def enable(self, name):
        return self.request("enable", name=name)[1]

    def disable(self, name):
        return self.request("disable", name=name)[1]

    def stats(self):
        lines, last = self.request("stats")
        last = dict(last)
        last["per_rule"] = lines
        return last

    def conns(self):
        return self.request("conns")[0]

    def fire(self, action, fd=None, peer=None, duration=None):
        """Fire reset, hangup, blackhole, timeout (duration="2s") or eof on
        the live connections at fd or to peer (an address pattern). When
        this returns, it has happened (a reset's RST is sent)."""
        if (fd is None) == (peer is None):
            raise ValueError("fire: give fd= or peer=")
        return self.request("fire", action=action, fd=fd, peer=peer, duration=duration)[0]

    def watch(self):
        """Events as they come (dicts with "event": conn, dead, closed,
        fault, rules), until the program ends; use a connection of its own."""
        self.request("watch")
        self.sock.settimeout(None)
        while True:
            try:
                yield self._line()
            except ChannelError:
                return


def wait_channel(pid, timeout=10.0, proc=None):
    """Wait until pid's channel answers; returns a connected Channel."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise ChannelError("pid %d exited (status %s) before its channel answered" % (pid, proc.returncode))
        try:
            ch = Channel(pid)
            ch.hello()
            return ch
        except (OSError, ChannelError) as e:
            last = e
            time.sleep(0.02)
    raise ChannelError("pid %d: no control channel within %.1f s (%s)" % (pid, timeout, last))


def start(argv, rules=None, rules_files=(), lib=None, env=None, **popen):
    """Start argv under sockfault with a control channel (subprocess.Popen
    arguments pass through). lib: the library (default $SOCKFAULT_LIB, else
    libsockfault.so found by the loader)."""
    e = dict(os.environ if env is None else env)
    lib = lib or e.get("SOCKFAULT_LIB") or "libsockfault.so"
    e["LD_PRELOAD"] = lib
    e["SOCKFAULT_CONTROL"] = "1"
    if rules is not None:
        e["SOCKFAULT_RULES_TEXT"] = rules
    if rules_files:
        e["SOCKFAULT_RULES"] = ":".join(rules_files)
    return subprocess.Popen(argv, env=e, **popen)
