"""An interpreter wrapper that records the peak memory of the module process it runs.

Ansible takes one executable as ``ansible_python_interpreter``, so large_backup.py points it at
a two-line shell script that runs ``<python> maxrss_python.py "$@"``. This runs the real
interpreter with the same arguments (``AnsiballZ_<module>.py``), stdin and stdout, waits, and
appends ``{"module", "maxrss"}`` (bytes: the largest RSS of the module's process, or of any
process it started) to the file named by ``$BENCH_MAXRSS_LOG``. Standard library only; the
wrapper's own memory is not counted.
"""

import json
import os
import resource
import subprocess
import sys

code = subprocess.call([sys.executable, *sys.argv[1:]])
maxrss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
module = os.path.basename(sys.argv[-1]) if len(sys.argv) > 1 else "-"
with open(os.environ["BENCH_MAXRSS_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps({"module": module, "maxrss": maxrss}) + "\n")
sys.exit(code)
