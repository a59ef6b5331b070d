"""WSGI entry point for gunicorn: `gunicorn wsgi:app`."""
import predictor as myapp

# The module is imported by each gunicorn worker; the name `app` is what gunicorn looks up.
app = myapp.app
