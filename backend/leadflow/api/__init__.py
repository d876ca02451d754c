"""The GraphQL layer: the only package that imports strawberry.

Its modules import each other as a tree, never in a cycle (tests/test_layers.py checks it).
From the leaves up: ids, errors, rows (the value rows read for leads), pagination, loaders/
(DataLoaders) and context; types/enums and inputs/ (input types, each converting itself to the
services' parameters); the object types in types/ (node, connection, user, contact, history,
figures, then lead: the lead graph, then admin and reports); node_lookup, queries and
mutations/ (payload.py: the one payload base for every mutation); schema at the top, with the
extensions field_policy and limits.
"""
