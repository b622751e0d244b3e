"""Render the gateway's nginx configuration from `shop.conf.template`.

The template is http-level configuration (maps, upstreams, the server). Two renderings of it:

- standalone, for the local stack: a complete nginx.conf that an unprivileged nginx runs from a
  project folder (its pid file, logs and temp files under `--runtime-dir`):

      python deploy/nginx/render.py --listen 127.0.0.1:8000 \\
          --users 127.0.0.1:8001 --products 127.0.0.1:8002 \\
          --orders 127.0.0.1:8003 --inventory 127.0.0.1:8004 \\
          --static-root var/static --runtime-dir var/nginx --output var/nginx/nginx.conf
      nginx -c "$PWD/var/nginx/nginx.conf" -p "$PWD/var/nginx" -g 'daemon off;'

- `--http-only`, for Kubernetes: the template filled in, to be included in the http {} block of
  the image's own nginx.conf (a file in /etc/nginx/conf.d/).

Only the placeholders' values differ between the two. Rendering refuses to leave one unfilled.
"""

from __future__ import annotations

import argparse
import os
import pwd
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

TEMPLATE = Path(__file__).with_name("shop.conf.template")
PLACEHOLDER = re.compile(r"\$\{(\w+)\}")
TEMP_DIRS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")

# What a value may look like, by kind. Values are pasted into nginx's syntax: an address or a
# duration is a bare word (no space, `;`, brace or `$`); a path is written between double quotes
# (so no quote, backslash or `$`). No value can change the configuration around it.
ADDRESS = "address"  # host:port, a bare port (listen only), [v6]:port or unix:/path
PATH = "path"  # made absolute; spaces are fine
DURATION = "duration"  # nginx's time syntax: 30s, 500ms, 1m
ADDRESS_RANGES = "address ranges"  # comma-separated IPv4/IPv6 addresses or CIDR ranges
RATE = "rate"  # requests per second: 2r/s (per second only: the 429's Retry-After says 1 second)
COUNT = "count"  # a whole number: 20
KIND_PATTERNS = {
    ADDRESS: re.compile(r"(unix:/[\w./-]+|[A-Za-z0-9._-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\]:\d{1,5})"),
    PATH: re.compile(r"[^\"\\$\x00-\x1f]+"),
    DURATION: re.compile(r"\d+(ms|s|m|h)?"),
    ADDRESS_RANGES: re.compile(r"[0-9A-Fa-f:.]+(/\d{1,3})?(,[0-9A-Fa-f:.]+(/\d{1,3})?)*"),
    RATE: re.compile(r"[1-9]\d{0,6}r/s"),
    COUNT: re.compile(r"\d{1,7}"),
}


# The gateway image runs on a read-only root with /tmp/ its one writable directory (and nginx's
# prefix: see deploy/docker/gateway/nginx.conf); the local stack keeps the cache in its runtime
# directory instead.
CLUSTER_CACHE_DIR = "/tmp/shop-gateway-cache"  # noqa: S108 (the container's own /tmp)


@dataclass(frozen=True)
class Placeholder:
    name: str
    flag: str
    kind: str
    help: str
    default: str | None = None


PLACEHOLDERS = (
    Placeholder("LISTEN", "--listen", ADDRESS, "address to listen on: 127.0.0.1:8000, 8080"),
    Placeholder("USERS_UPSTREAM", "--users", ADDRESS, "host:port of the users service"),
    Placeholder("PRODUCTS_UPSTREAM", "--products", ADDRESS, "host:port of the products service"),
    Placeholder("ORDERS_UPSTREAM", "--orders", ADDRESS, "host:port of the orders service"),
    Placeholder("INVENTORY_UPSTREAM", "--inventory", ADDRESS, "host:port of the inventory service"),
    Placeholder(
        "STATIC_ROOT",
        "--static-root",
        PATH,
        "directory holding each service's collected static files in users/ products/ orders/ "
        "inventory/",
    ),
    Placeholder(
        "ACCESS_LOG",
        "--access-log",
        PATH,
        "the JSON access log (default: RUNTIME_DIR/access.log; /dev/stdout with --http-only)",
    ),
    Placeholder(
        "CACHE_DIR",
        "--cache-dir",
        PATH,
        "directory of the gateway's catalog cache (standalone: RUNTIME_DIR/cache)",
        default=CLUSTER_CACHE_DIR,
    ),
    Placeholder(
        "PROXY_READ_TIMEOUT",
        "--proxy-read-timeout",
        DURATION,
        "how long a service may take to answer before the gateway answers 504",
        default="30s",
    ),
    Placeholder(
        "PLACEMENT_RATE",
        "--placement-rate",
        RATE,
        "order placements (POST /api/orders/) per second and client address",
        default="2r/s",
    ),
    Placeholder(
        "PLACEMENT_BURST",
        "--placement-burst",
        COUNT,
        "placements beyond the rate that one client address may send at once",
        default="20",
    ),
    Placeholder(
        "TRUSTED_PROXIES",
        "--trusted-proxies",
        ADDRESS_RANGES,
        "the load balancer's address ranges (10.0.0.0/8,fd00::/8), whose X-Forwarded-For and "
        "X-Forwarded-Proto the gateway believes; none by default: the peer is the client",
        default="",
    ),
)
BY_NAME = {placeholder.name: placeholder for placeholder in PLACEHOLDERS}
# Filled in from TRUSTED_PROXIES, not given: the same ranges in two nginx syntaxes.
DERIVED = ("REAL_IP_FROM", "TRUSTED_PROXY_GEO")


class RenderError(ValueError):
    """A value is missing or malformed; the message says which and how to give it."""


def render_http(values: Mapping[str, str | os.PathLike[str]], template: str | None = None) -> str:
    """The template with every placeholder filled in: http-level configuration.

    `values` maps placeholder names (`USERS_UPSTREAM`, ...) to their values; those with a
    default may be left out. Placeholders in comment lines are left as they are.
    """
    text = TEMPLATE.read_text() if template is None else template
    filled = _checked_values(values)
    filled |= _trusted_proxy_directives(filled.get("TRUSTED_PROXIES", ""))
    used = {
        name
        for line in text.splitlines()
        if not _is_comment(line)
        for name in PLACEHOLDER.findall(line)
    }
    unknown = sorted(used - BY_NAME.keys() - set(DERIVED))
    if unknown:
        raise RenderError(f"the template uses unknown placeholders: {_names(unknown)}")
    missing = sorted(used - filled.keys())
    if missing:
        flags = ", ".join(BY_NAME[name].flag for name in missing)
        raise RenderError(f"no value for {_names(missing)} (give {flags})")
    return "".join(
        line if _is_comment(line) else PLACEHOLDER.sub(lambda match: filled[match[1]], line)
        for line in text.splitlines(keepends=True)
    )


def render_standalone(
    values: Mapping[str, str | os.PathLike[str]],
    *,
    runtime_dir: str | os.PathLike[str],
    error_log: str | os.PathLike[str] | None = None,
    worker_processes: str = "auto",
    template: str | None = None,
) -> str:
    """A complete nginx.conf around `render_http`, for an nginx run from a project folder: its
    pid file, error log and temp files under `runtime_dir`, and by default its access log and
    catalog cache too."""
    runtime = Path(os.path.abspath(runtime_dir))
    values = {"ACCESS_LOG": runtime / "access.log", "CACHE_DIR": runtime / "cache", **values}
    http = render_http(values, template)
    error_log = _checked("error log", PATH, str(error_log or runtime / "error.log"))
    if not re.fullmatch(r"auto|\d+", worker_processes):
        raise RenderError(f"worker processes must be a number or auto, not {worker_processes!r}")
    _checked("runtime directory", PATH, str(runtime))
    lines = [
        "# Generated by deploy/nginx/render.py from deploy/nginx/shop.conf.template; edit those.",
        "# Run: nginx -c <this file> -p <runtime dir> -g 'daemon off;'",
    ]
    if os.geteuid() == 0:
        # Started as root, nginx would run its workers as `nobody`, who may not read the
        # project's static files: they run as whoever started it, as they do for anyone else.
        lines.append(f"user {pwd.getpwuid(os.geteuid()).pw_name};")
    lines += [
        f"worker_processes {worker_processes};",
        f'pid "{runtime / "nginx.pid"}";',
        f'error_log "{error_log}" warn;',
        "",
        "events {",
        "    worker_connections 1024;",
        "}",
        "",
        "http {",
        *(f'    {kind}_temp_path "{runtime / "tmp" / kind}";' for kind in TEMP_DIRS),
        "    sendfile on;",
        "    tcp_nopush on;",
        "    keepalive_timeout 65s;",
        "",
        "# ---- shop.conf.template ----",
        http.rstrip("\n"),
        "# ---- end of shop.conf.template ----",
        "}",
    ]
    return "\n".join(lines) + "\n"


def write_standalone(
    values: Mapping[str, str | os.PathLike[str]],
    *,
    runtime_dir: str | os.PathLike[str],
    output: str | os.PathLike[str],
    error_log: str | os.PathLike[str] | None = None,
    worker_processes: str = "auto",
) -> Path:
    """Render the standalone nginx.conf into `output` and create the runtime directory nginx
    needs (its temp directories' parent). Returns the written file."""
    text = render_standalone(
        values, runtime_dir=runtime_dir, error_log=error_log, worker_processes=worker_processes
    )
    (Path(runtime_dir) / "tmp").mkdir(parents=True, exist_ok=True)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    return output


def nginx_binary() -> str:
    """The nginx executable: $NGINX, else nginx on PATH or in the usual sbin directories."""
    candidates = [
        os.environ.get("NGINX"),
        shutil.which("nginx"),
        "/usr/sbin/nginx",
        "/usr/local/sbin/nginx",
        "/usr/local/nginx/sbin/nginx",
    ]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise FileNotFoundError(
        "nginx is not installed: `apt-get install nginx-light` (Debian/Ubuntu), "
        "`brew install nginx` (macOS), or set NGINX to its path"
    )


def check(config: str | os.PathLike[str], runtime_dir: str | os.PathLike[str]) -> None:
    """`nginx -t` on a standalone configuration; raises RenderError with nginx's complaint."""
    result = subprocess.run(
        [
            nginx_binary(),
            "-t",
            "-q",
            "-c",
            os.path.abspath(config),
            "-p",
            os.path.abspath(runtime_dir),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RenderError(f"nginx -t failed:\n{result.stderr.strip()}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Render the shop's gateway configuration (deploy/nginx/shop.conf.template)."
    )
    for placeholder in PLACEHOLDERS:
        default = f" (default {placeholder.default})" if placeholder.default else ""
        parser.add_argument(
            placeholder.flag,
            dest=placeholder.name,
            metavar=placeholder.name,
            help=f"{placeholder.help}{default}",
        )
    parser.add_argument(
        "--http-only",
        action="store_true",
        help="render only the http-level configuration (to include in a stock nginx.conf)",
    )
    parser.add_argument(
        "--runtime-dir", help="standalone: the directory for nginx's pid, logs and temp files"
    )
    parser.add_argument(
        "--error-log", help="standalone: the error log (default RUNTIME_DIR/error.log, or stderr)"
    )
    parser.add_argument(
        "--worker-processes", default="auto", help="standalone: how many workers (default auto)"
    )
    parser.add_argument("--output", default="-", help="the file to write (default: stdout)")
    parser.add_argument(
        "--check", action="store_true", help="standalone: run `nginx -t` on the written file"
    )
    args = parser.parse_args(argv)
    values = {
        placeholder.name: getattr(args, placeholder.name)
        for placeholder in PLACEHOLDERS
        if getattr(args, placeholder.name) is not None
    }
    try:
        if args.http_only:
            if args.check:
                raise RenderError("--check needs a standalone configuration (no --http-only)")
            text = render_http({"ACCESS_LOG": "/dev/stdout", **values})
            if args.output == "-":
                sys.stdout.write(text)
            else:
                Path(args.output).parent.mkdir(parents=True, exist_ok=True)
                Path(args.output).write_text(text)
            return 0
        if not args.runtime_dir:
            raise RenderError("no --runtime-dir (where nginx keeps its pid, logs and temp files)")
        if args.output == "-":
            sys.stdout.write(
                render_standalone(
                    values,
                    runtime_dir=args.runtime_dir,
                    error_log=args.error_log,
                    worker_processes=args.worker_processes,
                )
            )
            return 0
        output = write_standalone(
            values,
            runtime_dir=args.runtime_dir,
            output=args.output,
            error_log=args.error_log,
            worker_processes=args.worker_processes,
        )
        if args.check:
            check(output, args.runtime_dir)
    except (RenderError, FileNotFoundError) as error:
        parser.exit(2, f"{parser.prog}: error: {error}\n")
    return 0


def _checked_values(values: Mapping[str, str | os.PathLike[str]]) -> dict[str, str]:
    unknown = sorted(values.keys() - BY_NAME.keys())
    if unknown:
        raise RenderError(f"unknown placeholders: {', '.join(unknown)}")
    filled = {
        placeholder.name: placeholder.default
        for placeholder in PLACEHOLDERS
        if placeholder.default is not None
    }
    for name, value in values.items():
        if value is None or str(value) == "":
            continue
        placeholder = BY_NAME[name]
        filled[name] = _checked(f"{placeholder.flag} ({name})", placeholder.kind, str(value))
    return filled


def _checked(what: str, kind: str, value: str) -> str:
    if kind == PATH and value != "stderr":
        value = os.path.abspath(value)
    if not KIND_PATTERNS[kind].fullmatch(value):
        raise RenderError(f"{what}: {value!r} is not a valid {kind}")
    return value


def _trusted_proxy_directives(ranges: str) -> dict[str, str]:
    """`set_real_ip_from` directives and `geo` entries for the trusted ranges, each on one line
    (nginx takes several directives on a line); a comment when there are none."""
    if not ranges:
        return {name: "# no trusted proxy: the connection's peer is the client" for name in DERIVED}
    cidrs = ranges.split(",")
    return {
        "REAL_IP_FROM": " ".join(f"set_real_ip_from {cidr};" for cidr in cidrs),
        "TRUSTED_PROXY_GEO": " ".join(f"{cidr} 1;" for cidr in cidrs),
    }


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _names(names: Sequence[str]) -> str:
    return ", ".join(f"${{{name}}}" for name in names)


if __name__ == "__main__":
    sys.exit(main())
