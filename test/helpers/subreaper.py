#!/usr/bin/env python3
# A stand-in for a service supervisor (systemd, a container's init): it starts a command as a
# process group of its own (systemd's control group: `npx` brings npm, sh and node into it),
# outside that group itself, and, as a child subreaper (prctl PR_SET_CHILD_SUBREAPER, what
# systemd is), reaps every process of it, including those whose parent died first (atkafka
# under npx once npm is gone). That is how a test learns the exit code of a grandchild.
#
#   subreaper.py COMMAND ARGS...
#
# The command gets stdin, stdout and stderr; fd 3 (not passed on) gets one JSON line per event:
# {"started": PID} (PID is also the group id), then {"pid": P, "code": N} or
# {"pid": P, "signal": S} for every process of the group reaped; it exits when none is left.
import ctypes
import json
import os
import sys

PR_SET_CHILD_SUBREAPER = 36

report = os.fdopen(3, "w", buffering=1)
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
    sys.exit(f"subreaper: prctl(PR_SET_CHILD_SUBREAPER) failed: {os.strerror(ctypes.get_errno())}")

pid = os.fork()
if pid == 0:
    try:
        os.setpgid(0, 0)
        report.close()
        os.execvp(sys.argv[1], sys.argv[1:])
    except BaseException as err:  # noqa: BLE001 - the child must never return into the parent's code
        print(f"subreaper: cannot start {sys.argv[1]}: {err}", file=sys.stderr)
    os._exit(127)
try:
    # both sides set the group, so it exists before the test can signal it
    os.setpgid(pid, pid)
except (PermissionError, ProcessLookupError):
    pass  # the child already exec'd (and set it itself), or already exited
report.write(json.dumps({"started": pid}) + "\n")

while True:
    try:
        reaped, status = os.wait()
    except ChildProcessError:
        break
    if os.WIFEXITED(status):
        report.write(json.dumps({"pid": reaped, "code": os.WEXITSTATUS(status)}) + "\n")
    else:
        report.write(json.dumps({"pid": reaped, "signal": os.WTERMSIG(status)}) + "\n")
