#!/usr/bin/env python
"""One entry point for every service: `python manage.py <service> <command> [options]`."""

import os
import sys

from shop import SERVICES


def main() -> None:
    argv = list(sys.argv)
    if len(argv) > 1 and argv[1] in SERVICES:
        service = argv.pop(1)
        # An explicit DJANGO_SETTINGS_MODULE wins, as with any Django project.
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", f"{service}.settings")
    elif "DJANGO_SETTINGS_MODULE" not in os.environ:
        sys.stderr.write(
            "usage: python manage.py <service> <command> [options]\n"
            f"       <service> is one of: {', '.join(SERVICES)}\n"
            "       (or set DJANGO_SETTINGS_MODULE and omit <service>)\n"
        )
        sys.exit(2)

    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
