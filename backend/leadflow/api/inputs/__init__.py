"""Input types of queries and mutations, one module per domain. Each input that carries IDs
or maps onto a service's parameter object converts itself (IDs decoded against their type)."""
