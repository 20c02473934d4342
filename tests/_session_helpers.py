"""Drive ``skal label`` from a test: a child process on pipes, read to its prompt.

The child is either a real ``python -m skal.session`` process
(:func:`spawn_label`) or a fork of the test process running the same entry
point (:func:`fork_label`): a separate process with its own file handles,
killed the same way, without the 2 s of importing scikit-learn again (the
kill test restarts it twenty times).
"""

import csv
import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: The module run as ``python -m``: "skal.session" until ``skal label`` is wired
#: into the main command line, then "skal" (the tests then drive ``skal label``).
ENTRY_MODULE = "skal"
QUESTION = re.compile(r"^row (\S+)$", re.MULTILINE)
SAVED = re.compile(r"^(?:label> |relabel> )*saved: (\S+) = (\S+)$", re.MULTILINE)


class Child:
    """A labeling process: write lines to it, read its output up to a marker."""

    def __init__(self, pid, stdin_fd, stdout_fd, popen=None):
        self.pid = pid
        self.stdin_fd = stdin_fd
        self.stdout_fd = stdout_fd
        self.popen = popen
        self.output = ""  # everything read so far
        self._unread = 0  # start of what read_until has not returned yet
        self._stdin_closed = False
        self.status = None

    def send(self, line):
        os.write(self.stdin_fd, (line + "\n").encode())

    def read_until(self, *markers, timeout=30):
        """Output up to the first of ``markers`` (or the end of output)."""
        deadline = time.monotonic() + timeout
        while True:
            fresh = self.output[self._unread :]
            hits = [fresh.index(m) + len(m) for m in markers if m in fresh]
            if hits:
                end = self._unread + min(hits)
                text, self._unread = self.output[self._unread : end], end
                return text
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {markers} in:\n{self.output[-2000:]}")
            ready, _, _ = select.select([self.stdout_fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.stdout_fd, 65536)
            if not chunk:  # the child closed its output: it ended
                text, self._unread = self.output[self._unread :], len(self.output)
                return text
            self.output += chunk.decode("utf-8", "replace")

    def prompt(self):
        """Output up to the next ``label> `` prompt."""
        return self.read_until("label> ")

    def kill(self):
        os.kill(self.pid, signal.SIGKILL)
        return self.wait()

    def wait(self):
        if self.status is None:
            if self.popen is not None:
                self.status = self.popen.wait(30)
            else:
                _, status = os.waitpid(self.pid, 0)
                self.status = os.waitstatus_to_exitcode(status)
            if self.popen is not None:  # the Popen owns its pipes' descriptors
                for stream in (self.popen.stdin, self.popen.stdout):
                    try:
                        stream.close()
                    except OSError:
                        pass
                return self.status
            for fd in (
                (self.stdout_fd,)
                if self._stdin_closed
                else (
                    self.stdin_fd,
                    self.stdout_fd,
                )
            ):
                try:
                    os.close(fd)
                except OSError:
                    pass
        return self.status

    def finish(self):
        """Close its input, read the rest of its output, return its status."""
        if self.popen is not None:
            self.popen.stdin.close()
        else:
            os.close(self.stdin_fd)
        self._stdin_closed = True
        self.read_until("\x00never\x00", timeout=60)
        return self.wait()


def spawn_label(args, cwd=None):
    """``python -m ENTRY_MODULE ARGS`` on pipes (stderr joined to stdout)."""
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
    popen = subprocess.Popen(
        [sys.executable, "-m", ENTRY_MODULE, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=cwd,
        env=env,
    )
    return Child(popen.pid, popen.stdin.fileno(), popen.stdout.fileno(), popen)


def fork_label(args):
    """The same entry point in a forked process (scikit-learn already loaded)."""
    if ENTRY_MODULE == "skal":
        from skal.cli import main
    else:
        from skal.session.__main__ import main

    child_in, to_child = os.pipe()
    from_child, child_out = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 99
        try:
            os.close(to_child)
            os.close(from_child)
            os.dup2(child_in, 0)
            os.dup2(child_out, 1)
            os.dup2(child_out, 2)
            sys.stdin = open(0, encoding="utf-8", closefd=False)
            sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
            sys.stderr = sys.stdout
            code = main(args)
            sys.stdout.flush()
        except BaseException:
            import traceback

            traceback.print_exc()
            sys.stdout.flush()
        finally:
            os._exit(code)
    os.close(child_in)
    os.close(child_out)
    return Child(pid, to_child, from_child)


def write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))
