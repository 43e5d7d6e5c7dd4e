"""民声 Minsheng's shell: configuration, extensions, auth, languages, the city and its clock, HTTP helpers,
security, errors, the scheduler, the registry of units, areas and QR points, notifications, exports and storage.

It stands below complaints, surveys and oversight and never imports them (``.importlinter``). The app is built by
``portal.app.build_app``; ``composition.create_app`` plugs the layers into it. Nothing happens at import time.
"""
