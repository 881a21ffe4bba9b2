"""The HTTP app: FastAPI factory, dependencies, routes."""
