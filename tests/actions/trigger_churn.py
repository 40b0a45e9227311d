"""Many short connections, each watched by a time trigger far in the future:
prints how much the resident memory grew."""
import socket
import sys


def rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    n = int(sys.argv[1])
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(64)
    addr = lst.getsockname()

    def one():
        c = socket.create_connection(addr)
        s, _ = lst.accept()
        s.close()
        c.close()

    for _ in range(1000):
        one()
    before = rss_kib()
    for _ in range(n):
        one()
    print("connections = %d" % n)
    print("rss growth = %d" % (rss_kib() - before))


main()
