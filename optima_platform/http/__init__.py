"""HTTP layer: the response envelope, errors, the permission guard and route declarations."""
