"""gunicorn settings for the CRM: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Every value can be changed from the environment (systemd's EnvironmentFile, instance/prod.env
for `make prod`), so the same file serves this machine and a real server.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


wsgi_app = "wsgi:app"
bind = os.environ.get("CRM_BIND", "127.0.0.1:8000")

# Requests spend most of their time waiting on PostgreSQL and Redis: threads overlap that wait
# cheaply, processes use the cores. (2 x cores) + 1 processes is gunicorn's own rule of thumb.
workers = _int("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1)
worker_class = "gthread"
threads = _int("GUNICORN_THREADS", 4)
# Connections queued while every thread is busy (a press release can bring a burst of signers).
backlog = _int("GUNICORN_BACKLOG", 512)

# A request that takes longer than this is stuck (the slowest page answers in well under a
# second): the worker is killed and replaced. Graceful stop lets requests in flight finish.
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = 5
# Recycle each process now and then, so a slow leak in any library never builds up.
max_requests = _int("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = 500
# Uploads and forms are read by Flask (MAX_CONTENT_LENGTH); keep header abuse small here.
limit_request_line = 8190
limit_request_fields = 100

# Who may tell gunicorn the scheme (X-Forwarded-Proto) of a request. The app trusts
# X-Forwarded-For/-Proto from PROXY_COUNT hops (ProxyFix: rate limits, HSTS); gunicorn agrees:
# with no proxy nobody (else any local client could claim https), with one the proxy on this
# host, unless FORWARDED_ALLOW_IPS names another.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or (
    "127.0.0.1,::1" if _int("PROXY_COUNT", 0) else ""
)

# Logs: "-" is stderr, which systemd's journal collects; `make prod` passes files instead.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The client's address as ProxyFix sees it is not known here: log the proxy's X-Forwarded-For.
access_log_format = '%(h)s %({x-forwarded-for}i)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'

# The heartbeat file on a RAM disk: a slow or full disk must not look like a hung worker.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 (gunicorn docs)
proc_name = "indie-crm"

# gunicornc's control socket: off unless a path is given. Its default path in the home directory
# is shared by every gunicorn of the user, so two servers on one host would take it from each
# other (and remove it on stopping).
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True
