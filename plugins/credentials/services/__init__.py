"""The vault's services: all database and crypto work; route handlers only parse, call one and gate."""
