"""What the routes, jobs and hooks do: members cache, company sync and enrichment, callbacks."""
