#!/usr/bin/env python3
"""Runs a command on a pseudo-terminal (its controlling terminal, so it
opens /dev/tty) and answers prompts, for the keyref CLI tests.

usage: pty_run.py STEPS_JSON CMD [ARGS...]
STEPS_JSON is a list of [expected_text, text_to_send]: when expected_text
has appeared in the output since the previous step, text_to_send is
written to the terminal (as typed). Prints one JSON object on stdout:
{"status": exit status (128+signal when killed), "output": the terminal
transcript}. Bounded: 30 s in all, then the child is killed.
"""
import json
import os
import pty
import select
import signal
import sys
import time

steps = json.loads(sys.argv[1])
argv = sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
out = b""
mark = 0
deadline = time.time() + 30
while True:
    if time.time() > deadline:
        os.kill(pid, signal.SIGKILL)
        break
    if steps:
        want = steps[0][0].encode()
        i = out.find(want, mark)
        if i >= 0:
            mark = i + len(want)
            time.sleep(0.05)  # let the program switch echo off first
            os.write(fd, steps[0][1].encode())
            steps.pop(0)
            continue
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        out += data
_, status = os.waitpid(pid, 0)
code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)
print(json.dumps({"status": code, "output": out.decode("utf-8", "replace")}))
