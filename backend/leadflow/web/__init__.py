"""The HTTP layer: every route (`/graphql`, `/auth`, `/files`, the SPA) comes in here.

Decided once for every route: who sends a request and the CSRF rule (`access.py`), the client's
address (`client.py`), the error shape (`errors.py`) and the middleware every request passes
(`guards.py`). The route modules (`graphql.py`, `login.py`, `files.py`, `static.py`) parse HTTP
and call the GraphQL layer or the services, as the GraphQL resolvers do.
"""
