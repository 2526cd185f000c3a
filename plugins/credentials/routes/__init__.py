"""The credentials plugin's routes, one module per resource."""
