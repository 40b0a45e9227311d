"""An asyncio program and its server, for the oracle: what an event loop
sees of a fault, one line per observation, the times in milliseconds.

  oasync.py server ADDR PORT MODE   (never preloaded) prints "port N", then
      serves: echo (every byte back), close (read 4 bytes, then close),
      hold (read 4 bytes, keep the connection open and quiet)
  oasync.py close ADDR PORT         connect, write b"ping", wait (2 s at
      most) for what comes back, then write again
  oasync.py rounds ADDR PORT N K    N connections at once, each K round
      trips of 4 bytes; the total time and the event loop's worst lag
"""
import asyncio
import sys
import time


def ms(t0):
    return int((time.monotonic() - t0) * 1000)


async def serve(addr, port, mode):
    async def handle(reader, writer):
        if mode == "echo":
            while True:
                data = await reader.read(4096)
                if not data:
                    break
                writer.write(data)
                await writer.drain()
        else:
            await reader.readexactly(4)
            if mode == "close":
                writer.close()
                return
            await asyncio.sleep(30)
        writer.close()

    srv = await asyncio.start_server(handle, addr, port)
    print("port %d" % srv.sockets[0].getsockname()[1], flush=True)
    await asyncio.sleep(60)


async def close_case(addr, port):
    reader, writer = await asyncio.open_connection(addr, port)
    print("connected", flush=True)
    writer.write(b"ping")
    await writer.drain()
    t0 = time.monotonic()
    try:
        data = await asyncio.wait_for(reader.read(100), 2)
        print("read = %r ms~%d" % (data, round(ms(t0), -2)), flush=True)
    except asyncio.TimeoutError:
        print("read = timeout ms~%d" % round(ms(t0), -2), flush=True)
    try:
        writer.write(b"more")
        await writer.drain()
        await asyncio.sleep(0.2)
        writer.write(b"more")
        await writer.drain()
        print("write = ok", flush=True)
    except OSError as e:
        print("write = %s" % type(e).__name__, flush=True)
    writer.close()


async def rounds_case(addr, port, n, k):
    lag = 0

    async def ticker():
        nonlocal lag
        while True:
            t = time.monotonic()
            await asyncio.sleep(0.01)
            lag = max(lag, ms(t) - 10)

    async def one():
        reader, writer = await asyncio.open_connection(addr, port)
        for _ in range(k):
            writer.write(b"ping")
            await writer.drain()
            await reader.readexactly(4)
        writer.close()

    tick = asyncio.ensure_future(ticker())
    t0 = time.monotonic()
    await asyncio.gather(*(one() for _ in range(n)))
    total = ms(t0)
    tick.cancel()
    print("rounds = %d total_ms=%d lag_ms=%d" % (n * k, total, lag), flush=True)


def main():
    what, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if what == "server":
        asyncio.run(serve(addr, port, sys.argv[4]))
    elif what == "close":
        asyncio.run(close_case(addr, port))
    elif what == "rounds":
        asyncio.run(rounds_case(addr, port, int(sys.argv[4]), int(sys.argv[5])))
    else:
        sys.exit("usage: oasync.py server|close|rounds ADDR PORT ...")


main()
