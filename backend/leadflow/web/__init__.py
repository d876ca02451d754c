"""The HTTP layer: every route (`/graphql`, `/auth`, `/files`, the SPA) comes in here.

Decided once for every route: who sends a request and the CSRF rule (`access.py`), the client's
address (`client.py`), the error shape (`errors.py`; `endpoints.py` wraps the routes that use
it, /graphql writes the same refusals in GraphQL's shape), how bodies are read (`bodies.py`)
and the middleware every request passes (`guards.py`). The route modules (`graphql.py`,
`login.py`, `files.py`, `static.py` with `playground.py`) parse HTTP and call the GraphQL layer
or the services, as the GraphQL resolvers do; background work is `leadflow/jobs.py`'s.
"""
