"""Writes. Every change to the data goes through a function here, named
``<entity>_<action>`` with keyword-only arguments, so the web views, the API,
the admin, the commands and the worker share one set of rules."""
