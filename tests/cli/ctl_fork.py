"""The program under test for ctl-python.sh: forks (the child must get a
channel of its own), then closes every descriptor from 3 up as a daemon
does, opens files on the numbers it freed, and checks at the end that they
are still its files. Prints "parent PID", "child PID", "files open",
"files intact" or "files changed"."""
import os
import sys
import time

stop = sys.argv[1]
print("parent %d" % os.getpid(), flush=True)
pid = os.fork()
if pid == 0:
    print("child %d" % os.getpid(), flush=True)
    while not os.path.exists(stop):
        time.sleep(0.02)
    os._exit(0)
time.sleep(0.2)
os.closerange(3, 4096)
fds = [os.open("/dev/null", os.O_RDONLY) for _ in range(1000)]
ids = [(os.fstat(fd).st_dev, os.fstat(fd).st_ino) for fd in fds]
print("files open", flush=True)
deadline = time.monotonic() + 30
while not os.path.exists(stop) and time.monotonic() < deadline:
    time.sleep(0.02)
ok = all((os.fstat(fd).st_dev, os.fstat(fd).st_ino) == i for fd, i in zip(fds, ids))
print("files intact" if ok else "files changed", flush=True)
os.waitpid(pid, 0)
