"""Credentials plugin: a vault of typed credentials with encrypted secure fields and an audit trail."""
