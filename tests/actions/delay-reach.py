"""delay relays a TCP connection (sockfault-rules(5), delay) in the cases
that once kept the delay inside the calls: many connections at once, a
socket in an epoll set before its connect, a socket with a second number
made before its connect, and rules that are reloaded. The program runs under
the library; its peer is this script without it (mode "peer"), which answers
every piece of data with the time it arrived. Prints one line per check:
"took" is how long a call took, "lag" how late the peer had the bytes (ms).

    delay-reach.py many N | epoll | dup | reload RULES_FILE | waiting RULES_FILE RULE"""
import errno
import os
import select
import socket
import struct
import subprocess
import sys
import threading
import time


def ms(t):
    return int(t * 1000)


def peer():
    """Answer each piece of data with its arrival time; report an end of
    stream or a reset; leave when stdin closes (or after 30 s)."""
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(256)
    print(lst.getsockname()[1], flush=True)
    conns = []
    end = time.monotonic() + 30
    while time.monotonic() < end:
        r, _, _ = select.select([lst, sys.stdin] + conns, [], [], 1)
        for s in r:
            if s is sys.stdin:
                return
            if s is lst:
                conns.append(lst.accept()[0])
                continue
            try:
                data = s.recv(65536)
            except ConnectionResetError:
                print("reset", flush=True)
                conns.remove(s)
                continue
            if not data:
                print("eof", flush=True)
                conns.remove(s)
                continue
            s.sendall(b"%.6f\n" % time.monotonic())


def start_peer():
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "SOCKFAULT_RULES", "SOCKFAULT_RULES_TEXT")}
    p = subprocess.Popen([sys.executable, __file__, "peer"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    return p, int(p.stdout.readline())


def stop_peer(p, report=False):
    """Stop the peer; report: print what it saw of each end."""
    p.stdin.close()
    for line in p.stdout.read().decode().split():
        if report:
            print("peer", line)
    p.wait(10)


def answer(s, timeout=5):
    """The peer's answer: when it had the bytes."""
    s.settimeout(timeout)
    data = b""
    while not data.endswith(b"\n"):
        data += s.recv(64)
    return float(data)


def send_timed(s, data=b"ping"):
    t = time.monotonic()
    s.send(data)
    return t, time.monotonic() - t


def many(n):
    p, port = start_peer()
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.connect(("127.0.0.1", port))
        socks.append(s)
    sent, took = [], []
    for s in socks:
        t, d = send_timed(s)
        sent.append(t)
        took.append(d)
    lags = [answer(s) - t for s, t in zip(socks, sent)]
    print("connections", len(socks))
    print("took_max", ms(max(took)))
    print("lag_min", ms(min(lags)))
    print("lag_max", ms(max(lags)))
    for s in socks:
        s.close()
    stop_peer(p)


def epoll():
    p, port = start_peer()
    s = socket.socket()
    s.setblocking(False)
    ep = select.epoll()
    # In the set before the connect, as nginx does.
    ep.register(s.fileno(), select.EPOLLOUT)
    t = time.monotonic()
    print("connect", errno.errorcode.get(s.connect_ex(("127.0.0.1", port)), "0"))
    print("took", ms(time.monotonic() - t))
    ev = ep.poll(3)
    print("events", " ".join("%s,%s" % (fd == s.fileno(), bool(e & select.EPOLLOUT)) for fd, e in ev))
    print("writable", ms(time.monotonic() - t))
    print("so_error", s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR))
    ep.modify(s.fileno(), select.EPOLLIN)
    t, d = send_timed(s)
    print("took", ms(d))
    ev = ep.poll(3)
    print("events", " ".join("%s,%s" % (fd == s.fileno(), bool(e & select.EPOLLIN)) for fd, e in ev))
    print("lag", ms(answer(s) - t))
    # Edge-triggered and one-shot, in a second set: kept as they were.
    s2 = socket.socket()
    s2.setblocking(False)
    ep2 = select.epoll()
    ep2.register(s2.fileno(), select.EPOLLIN | select.EPOLLET | select.EPOLLONESHOT)
    ep.register(s2.fileno(), select.EPOLLIN)
    s2.connect_ex(("127.0.0.1", port))
    time.sleep(0.3)
    t, d = send_timed(s2)
    print("took", ms(d))
    print("oneshot", " ".join(str(fd == s2.fileno()) for fd, e in ep2.poll(3)))
    print("lag", ms(answer(s2) - t))
    s2.send(b"ping")
    print("oneshot_again", len(ep2.poll(0.5)))
    print("other_set", " ".join(str(fd == s2.fileno()) for fd, e in ep.poll(3)))
    ep.close()
    ep2.close()
    s.close()
    s2.close()
    stop_peer(p)


def dup():
    p, port = start_peer()
    s = socket.socket()
    d = socket.socket(fileno=os.dup(s.fileno()))
    s.connect(("127.0.0.1", port))
    t, took = send_timed(d)
    print("took", ms(took))
    print("lag", ms(answer(s) - t))
    print("peer_same", d.getpeername() == s.getpeername())
    s.close()
    t, took = send_timed(d)
    print("took", ms(took))
    print("lag", ms(answer(d) - t))
    d.close()
    stop_peer(p)


def rules(path, text):
    """Replace the rules file (a new inode) and wait for the library to look."""
    with open(path + ".new", "w") as f:
        f.write(text + "\n")
    os.rename(path + ".new", path)
    time.sleep(0.4)


def reload(path):
    p, port = start_peer()
    s = socket.socket()
    s.connect(("127.0.0.1", port))
    for _ in range(2):
        t, took = send_timed(s)
        print("took", ms(took))
        print("round_trip", ms(time.monotonic() - t if answer(s) else 0))
        # The rules change: the connection's delays follow.
        rules(path, "tx => delay 50ms\nrx => delay 50ms")
    # No rule delays it any more: it is carried at once.
    rules(path, "rx peer=192.0.2.1 => delay 1s")
    t, took = send_timed(s)
    print("took", ms(took))
    print("round_trip", ms(time.monotonic() - t if answer(s) else 0))
    # A rule that ends the connection acts on the real socket: the peer
    # gets an RST.
    rules(path, "tx => reset")
    try:
        s.send(b"ping")
        print("send ok")
    except OSError as e:
        print("send", errno.errorcode.get(e.errno))
    s.close()
    time.sleep(0.3)
    stop_peer(p, report=True)


def waiting(path, rule):
    """A receive waits (SO_RCVTIMEO 1 s) on a relayed connection while
    another thread's send fires the rule that ends the connection."""
    p, port = start_peer()
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 1, 0))
    s.connect(("127.0.0.1", port))
    got = []

    def reader():
        t = time.monotonic()
        try:
            got.append("recv %d" % len(s.recv(100)))
        except OSError as e:
            got.append("recv " + errno.errorcode.get(e.errno, "?"))
        got.append(time.monotonic() - t)

    th = threading.Thread(target=reader)
    th.start()
    rules(path, rule)
    try:
        s.send(b"ping")
    except OSError:
        pass  # the rule's own answer to the send
    th.join(5)
    print(got[0])
    print("waited", ms(got[1]))
    s.close()
    stop_peer(p)


def main():
    mode = sys.argv[1]
    if mode == "peer":
        peer()
    elif mode == "many":
        many(int(sys.argv[2]))
    elif mode == "epoll":
        epoll()
    elif mode == "dup":
        dup()
    elif mode == "reload":
        reload(sys.argv[2])
    elif mode == "waiting":
        waiting(sys.argv[2], sys.argv[3])
    sys.stdout.flush()


main()
