"""GraphQL object types, enums and inputs."""
