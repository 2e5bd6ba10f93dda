"""py-app: the FastAPI web application on py-core."""
