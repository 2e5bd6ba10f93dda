"""py-core: the domain library of py-app (database, chat engine, events, operations)."""
