"""Subcommands of ``%nbdl`` that plug in: one module each, declaring a ``cli.Command``.

A module here declares its flags (``arguments``) without IPython and carries the command out in
``run(magics, args)``, importing IPython's display there; ``magics`` gives ``shell``,
``variable(name, what)``, ``check_name(name)`` and ``resolve_data(args)``."""
