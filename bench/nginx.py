"""Debian's nginx serving one file as a static file: the ceiling for cached delivery.

The bench writes a config into a temp dir (2 workers, keep-alive, no access log, sendfile), puts
the derivative's bytes there, and runs `nginx -p <dir> -c nginx.conf -g 'daemon off;'` in the
foreground so it is stopped like every other child.
"""

from __future__ import annotations

from pathlib import Path

from bench import procs

CONFIG = """\
worker_processes 2;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
user root;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    keepalive_timeout 65;
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
    types {{ image/jpeg jpg; image/webp webp; image/png png; }}
    server {{
        listen 127.0.0.1:{port};
        root {dir}/www;
        location / {{ add_header Cache-Control "public, max-age=31536000, immutable"; }}
    }}
}}
"""


def start(executable: Path, directory: Path, name: str, body: bytes) -> tuple[procs.Server, int]:
    """Serve `body` at `/<name>`; return the server and its port once it answers."""
    (directory / "www").mkdir(parents=True, exist_ok=True)
    (directory / "tmp").mkdir(exist_ok=True)
    (directory / "www" / name).write_bytes(body)
    port = procs.free_port()
    conf = directory / "nginx.conf"
    conf.write_text(CONFIG.format(dir=directory, port=port))
    server = procs.Server("nginx", [str(executable), "-p", str(directory), "-c", str(conf),
                                    "-g", "daemon off;"], directory / "nginx.out")
    server.wait_http(port, f"/{name}", timeout=20)
    return server, port
