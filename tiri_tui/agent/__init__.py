"""The agent: one process per profile that holds the session, the socket, the
cache and the outbox, and the local endpoint every face on the machine attaches to."""
