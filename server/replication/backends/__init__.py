"""The sync store's database backends: `base.Backend`, `sqlite.SqliteBackend`,
`postgres.PostgresBackend`, and `current.backend()`, which picks one for this process."""
