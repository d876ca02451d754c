"""Live updates, read side: each app instance's hub reads the event outbox
(`services/outbox.py`) by id and fans the events out to its subscribers (the GraphQL
subscriptions); on PostgreSQL one listening connection per instance wakes it (`listener.py`)."""
