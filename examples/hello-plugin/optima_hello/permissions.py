"""The plugin's nodes (category ``hello``) and its gated object type (``obj.greeting``)."""

from __future__ import annotations

from optima_platform.hooks.contributions import FieldGate, PermissionCategory
from optima_platform.hooks.contributions import PermissionNode as N

CATEGORIES = [
    PermissionCategory(
        "hello",
        "Hello Permissions",
        "Permissions of the example hello plugin",
        (
            N("hello.greet", "Create a greeting"),
            N("hello.greet.shout", "Create a greeting in capitals", ("hello.greet",)),
            N("hello.greetings.fetch.many", "List greetings"),
            N("hello.tally.fetch", "Read the greeting tally the hello.tally job keeps"),
        ),
    )
]

GREETING_FIELDS = ("id", "name", "message", "createdBy", "createdAt")

GATES = [
    FieldGate(
        "obj.greeting",
        "Greeting",
        GREETING_FIELDS,
        descriptions={"createdBy": "Read who created a greeting"},
    )
]
