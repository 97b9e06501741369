"""The composition root: settings, container, app factory, command line."""
