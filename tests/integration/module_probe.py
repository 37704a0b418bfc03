"""An interpreter wrapper that records how long the module process it runs took, and its peak memory.

Ansible takes one executable as ``ansible_python_interpreter``; ``probe_inventory`` (limits_fixtures.py)
points it at a two-line shell script that runs ``<python> module_probe.py "$@"``. This runs the real
interpreter with the same arguments (``AnsiballZ_<module>.py``), stdin and stdout, waits, and appends
``{"elapsed": seconds, "maxrss": bytes}`` to the file named by ``$WABIZ_PROBE_LOG``: the wall time of
the module's process and the largest RSS of it or any process it started (the wrapper's own is not
counted). Standard library only.
"""

import json
import os
import resource
import subprocess
import sys
import time

started = time.monotonic()
code = subprocess.call([sys.executable, *sys.argv[1:]])
elapsed = time.monotonic() - started
maxrss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
with open(os.environ["WABIZ_PROBE_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps({"elapsed": elapsed, "maxrss": maxrss}) + "\n")
sys.exit(code)
