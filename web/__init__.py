"""The guest pages: what a holder of a one-time link opens in a browser.

``web.app.GuestApp`` is a small WSGI application (Werkzeug routing, Jinja2 templates) that
``roundtable serve`` mounts at ``/l/``; it calls the same services as the Slack app.
"""
