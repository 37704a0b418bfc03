# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The drill's relay: python3 -c "$(cat drill_relay.py)" LISTEN_PORT TARGET_HOST TARGET_PORT.

Runs in its own container, attached to the drill's internal network and to a front network
whose port is published on the controller's side. It accepts connections on LISTEN_PORT and
pipes each one, bytes only (TLS passes through untouched), to TARGET_HOST:TARGET_PORT, the
scratch client. It never opens a connection anywhere else, so it gives the controller a way in
and the scratch client no way out. Standard library only, Python 3.7 or later.
"""

import asyncio
import signal
import sys


async def pipe(reader, writer):
    try:
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                break
            writer.write(chunk)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


async def relay(target_host, target_port, client_reader, client_writer):
    try:
        upstream_reader, upstream_writer = await asyncio.open_connection(target_host, target_port)
    except OSError:
        client_writer.close()  # the client is not up yet: the caller polls again
        return
    await asyncio.gather(pipe(client_reader, upstream_writer), pipe(upstream_reader, client_writer))


async def serve(listen_port, target_host, target_port):
    # Every interface of the relay's own container: the published port arrives on the front network.
    server = await asyncio.start_server(
        lambda reader, writer: relay(target_host, target_port, reader, writer),
        "0.0.0.0",  # noqa: S104
        listen_port,
    )
    async with server:
        await server.serve_forever()


def main():
    # As PID 1 the default SIGTERM action would be ignored: stop at once instead.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    asyncio.run(serve(int(sys.argv[1]), sys.argv[2], int(sys.argv[3])))


if __name__ == "__main__":
    main()
