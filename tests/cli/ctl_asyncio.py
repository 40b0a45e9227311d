"""The program under test for ctl-python.sh: an asyncio client that
connects to 127.0.0.1:PORT, says hi, reads the echo, then waits for more
(at most 30 s) and says how its connection ended."""
import asyncio
import sys


async def main(port):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"hi")
    await writer.drain()
    await reader.readexactly(2)
    print("asyncio: connected", flush=True)
    try:
        data = await asyncio.wait_for(reader.read(100), 30)
        print("asyncio: end=%s" % ("eof" if not data else "data"), flush=True)
    except ConnectionResetError:
        print("asyncio: end=ConnectionResetError", flush=True)
    except asyncio.TimeoutError:
        print("asyncio: end=timeout", flush=True)


asyncio.run(main(int(sys.argv[1])))
