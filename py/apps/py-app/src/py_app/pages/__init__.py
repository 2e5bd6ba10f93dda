"""Server-rendered pages (Jinja2); their scripts call the JSON API."""
