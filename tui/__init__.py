"""fragscope's user-facing layer: the command line and (later) the Textual app.

It talks to the simulator only through ``engine``'s public API.
"""
