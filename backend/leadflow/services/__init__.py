"""Business rules. Every caller (GraphQL, command line, demo) goes through these functions."""
