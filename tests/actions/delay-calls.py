"""The calls about a connection that delay relays (sockfault-rules(5),
delay), checked from python: its names, options and a refused connect are
the TCP socket's, as without the library. Prints one line per check."""
import errno
import select
import socket
import sys
import time

lst = socket.socket()
lst.bind(("127.0.0.1", 0))
lst.listen()
port = lst.getsockname()[1]

s = socket.socket()
s.setblocking(False)
print("connect", errno.errorcode.get(s.connect_ex(("127.0.0.1", port)), "0"))
p = select.poll()
p.register(s, select.POLLOUT)
t = time.monotonic()
p.poll(3000)
print("writable_ms", int((time.monotonic() - t) * 1000))
print("so_error", s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR))
print("peer_port_ok", s.getpeername() == ("127.0.0.1", port))
name = s.getsockname()
print("local_ok", name[0] == "127.0.0.1" and name[1] > 0)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
print("nodelay", s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
print("type", s.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE) == socket.SOCK_STREAM)
print("domain", s.getsockopt(socket.SOL_SOCKET, socket.SO_DOMAIN) == socket.AF_INET)
c, _ = lst.accept()
print("accepted_peer_ok", c.getpeername() == name)
c.close()
s.close()

# Nothing listens on the port any more: the connect is refused, late.
lst.close()
r = socket.socket()
r.setblocking(False)
print("connect", errno.errorcode.get(r.connect_ex(("127.0.0.1", port)), "0"))
p = select.poll()
p.register(r, select.POLLOUT)
t = time.monotonic()
ev = p.poll(3000)
print("failed_ms", int((time.monotonic() - t) * 1000))
print("failed_out", bool(ev and ev[0][1] & select.POLLOUT))
print("so_error", errno.errorcode.get(r.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR), "0"))
print("so_error", r.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR))
r.close()
sys.stdout.flush()
