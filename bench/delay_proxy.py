#!/usr/bin/python3
"""A TCP proxy that adds a fixed delay to every byte in both directions.

For benchmarks that need a network farther away than 127.0.0.1 without root
tricks (network namespaces, netem). Each chunk read is written to the other
side DELAY ms after it arrived, in order, so a round trip costs 2 × DELAY
plus what the server takes.

    bench/delay_proxy.py --delay-ms 20 LISTEN_PORT:TARGET_PORT [...]

Listens on 127.0.0.1, connects to 127.0.0.1:TARGET_PORT, prints "ready" on
stdout once every listener is up, and runs until killed.
"""
import argparse
import asyncio
import sys


async def pump(reader, writer, delay):
    queue = asyncio.Queue()
    loop = asyncio.get_running_loop()

    async def deliver():
        while True:
            at, data = await queue.get()
            wait = at - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                writer.close()
                return
            writer.write(data)
            await writer.drain()

    sender = asyncio.create_task(deliver())
    try:
        while True:
            data = await reader.read(65536)
            await queue.put((loop.time() + delay, data))
            if not data:
                break
        await sender
    except (ConnectionError, asyncio.CancelledError):
        sender.cancel()
        writer.close()


async def serve(listen_port, target_port, delay):
    async def handle(client_reader, client_writer):
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", target_port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pump(client_reader, server_writer, delay),
                             pump(server_reader, client_writer, delay), return_exceptions=True)

    return await asyncio.start_server(handle, "127.0.0.1", listen_port, backlog=256)


async def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--delay-ms", type=float, required=True)
    ap.add_argument("pairs", nargs="+", metavar="LISTEN_PORT:TARGET_PORT")
    args = ap.parse_args()
    servers = []
    for pair in args.pairs:
        listen, target = (int(p) for p in pair.split(":"))
        servers.append(await serve(listen, target, args.delay_ms / 1000))
    print("ready", flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
