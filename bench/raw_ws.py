"""The raw baseline of bench/idle_subscriptions.py: a bare `websockets` server that speaks just
enough `graphql-transport-ws` to hold subscriptions (ack the `connection_init`, remember each
`subscribe`) and, when any client sends `{"type": "bench_broadcast", "payload": ...}`, sends
one `next` with that payload to every subscription. No GraphQL, no authentication, no database.

    python bench/raw_ws.py PORT
"""

from __future__ import annotations

import asyncio
import json
import sys

from websockets.asyncio.server import ServerConnection, serve

PROTOCOL = "graphql-transport-ws"
subscribers: dict[ServerConnection, str] = {}


async def handle(websocket: ServerConnection) -> None:
    try:
        async for raw in websocket:
            message = json.loads(raw)
            kind = message.get("type")
            if kind == "connection_init":
                await websocket.send(json.dumps({"type": "connection_ack"}))
            elif kind == "subscribe":
                subscribers[websocket] = message["id"]
            elif kind == "ping":
                await websocket.send(json.dumps({"type": "pong"}))
            elif kind == "bench_broadcast":
                payload = {"data": message["payload"]}
                for connection, subscription_id in list(subscribers.items()):
                    next_message = {"id": subscription_id, "type": "next", "payload": payload}
                    await connection.send(json.dumps(next_message))
    finally:
        subscribers.pop(websocket, None)


async def main(port: int) -> None:
    async with serve(handle, "127.0.0.1", port, subprotocols=[PROTOCOL], ping_interval=20):
        print(f"raw websockets server on {port}", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
