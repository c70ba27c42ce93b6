"""The office console: a small Starlette app, server-rendered with Jinja2, one module per resource."""
