"""The ``micrograd-plus step`` terminal session, driven end to end in a real terminal (tmux)."""

from __future__ import annotations

import io
import runpy
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from conftest import MATRIX_TARGET
from rich.console import Console

from micrograd_plus.debug import BackpropStepper, run_terminal

REPO = Path(__file__).resolve().parent.parent

LUNCH = '''
from micrograd_plus import Value, dot

w = [Value(50.0, label="w_meat"), Value(50.0, label="w_veg"), Value(50.0, label="w_staple")]
y = dot(w, [5, 2, 4])
y.label = "y"
E = 0.5 * (1250 - y) ** 2
E.label = "E"
E.backward()  # the session starts from fresh gradients anyway
root = E
'''

needs_tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


@pytest.fixture
def lunch_file(tmp_path: Path) -> Path:
    path = tmp_path / "lunch_target.py"
    path.write_text(LUNCH)
    return path


class Terminal:
    """A command in a detached tmux session of its own (private server socket)."""

    def __init__(self, command: list[str], width: int = 130, height: int = 45) -> None:
        self.socket = f"mgp-step-{uuid.uuid4().hex[:10]}"
        shell = "env -u COLUMNS -u LINES " + " ".join(command) + '; echo "exit status $?"; read _'
        self._tmux("new-session", "-d", "-s", "t", "-x", str(width), "-y", str(height),
                   "-c", str(REPO), shell)

    def _tmux(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True,
                              text=True, timeout=10)
        return done.stdout

    def keys(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", "t", *keys)

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", "t")

    def wait_for(self, text: str, timeout: float = 15.0, frame: bool = True) -> str:
        """The screen once it shows ``text`` (and, for a frame, its last line: the keys)."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if text in screen and (not frame or "q quit" in screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared; the screen shows:\n{screen}")
            time.sleep(0.05)  # polling a live terminal, not waiting a fixed time

    def quit(self) -> None:
        """Press q and wait for the session's exit status 0."""
        self.keys("q")
        self.wait_for("exit status 0", frame=False)

    def close(self) -> None:
        self._tmux("kill-server")

    def __enter__(self) -> "Terminal":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def row(screen: str, name: str) -> str:
    """The table row of a node (the line that starts with its step number and name)."""
    for line in screen.splitlines():
        cells = [c.strip() for c in line.split("│")]
        if len(cells) > 2 and cells[1] == name:
            return line
    raise AssertionError(f"no row for {name} in:\n{screen}")


def end_then_back_to_y(term: Terminal, total: int, at_y: int) -> tuple[str, str]:
    """Press ``e`` (run to the end), then ``b`` until y's step: both screens, checked."""
    term.keys("e")
    end = term.wait_for(f"step {total} of {total}")
    assert "done: every gradient of this pass is computed" in end
    assert row(end, "w_meat").rstrip().endswith("−3500")
    for _ in range(total - at_y):
        term.keys("b")
    at = term.wait_for(f"step {at_y} of {total}")
    assert f"step {at_y}: y" in at
    assert "∂E/∂w_meat = ∂E/∂y · ∂y/∂w_meat = (−700)·(5) = −3500" in at
    return end, at


@needs_tmux
def test_step_session_driven_in_tmux(lunch_file: Path, artifacts: Path):
    stepper = BackpropStepper(runpy.run_path(str(lunch_file))["root"])
    total = len(stepper)
    at_y = stepper.index_of("y") + 1
    with Terminal([sys.executable, "-m", "micrograd_plus", "step", str(lunch_file)]) as term:
        screen = term.wait_for(f"step 0 of {total}")
        assert "Nothing processed yet" in screen and "−3500" not in screen
        assert row(screen, "w_meat").rstrip().endswith("0")  # backward() in the file undone

        term.keys("n")
        screen = term.wait_for(f"step 1 of {total}")
        assert "node E" in screen and "∂E/∂E" in screen

        end, screen = end_then_back_to_y(term, total, at_y)
        (artifacts / "step_session_end.txt").write_text(end)
        assert row(end, "w_veg").rstrip().endswith("−1400")
        assert row(end, "w_staple").rstrip().endswith("−2800")
        (artifacts / "step_session_y.txt").write_text(screen)

        term.keys("Left")  # back across y's step: its contributions are undone
        screen = term.wait_for(f"step {at_y - 1} of {total}")
        assert "−3500" not in screen and "−1400" not in screen
        assert row(screen, "w_meat").rstrip().endswith("0")

        term.keys("Right")
        screen = term.wait_for(f"step {at_y} of {total}")
        assert row(screen, "w_meat").rstrip().endswith("−3500")
        term.quit()


@needs_tmux
def test_step_session_on_a_tensor_graph_in_tmux(artifacts: Path):
    with Terminal([sys.executable, "-m", "micrograd_plus", "step", str(MATRIX_TARGET)]) as term:
        term.wait_for("step 0 of")
        for k in range(1, 4):
            term.keys("n")
            screen = term.wait_for(f"step {k} of")
        assert "step 3: Z" in screen and "(op @," in screen
        flat = " ".join(screen.split())
        assert ("∂L/∂W = ∂L/∂Z · Xᵀ = [[1, 2], [0, 1]] · [[1, 2], [0, 1]] = [[1, 4], [0, 1]]"
                in flat)
        assert "∂L/∂X = Wᵀ · ∂L/∂Z = [[1, 3], [2, 4]] · [[1, 2], [0, 1]] = [[1, 5], [2, 8]]" in flat
        assert "vjp" not in screen and "Backward" not in screen
        (artifacts / "step_session_tensor.txt").write_text(screen)
        term.quit()


@needs_tmux
def test_step_lunch_example_in_tmux():
    from micrograd_plus.cli import resolve_root

    stepper = BackpropStepper(resolve_root("lunch"))
    total, at_y = len(stepper), stepper.index_of("y") + 1
    with Terminal([sys.executable, "-m", "micrograd_plus", "step", "lunch"]) as term:
        term.wait_for(f"step 0 of {total}")
        end_then_back_to_y(term, total, at_y)
        term.keys("b")
        screen = term.wait_for(f"step {at_y - 1} of {total}")
        assert row(screen, "w_meat").rstrip().endswith("0")
        term.quit()


def test_step_session_with_piped_input(lunch_file: Path):
    """Without a terminal the session reads one command per line (empty line = next)."""
    done = subprocess.run(
        [sys.executable, "-m", "micrograd_plus", "step", str(lunch_file)],
        input="\ne\nb\nq\n", capture_output=True, text=True, timeout=60, cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    frames = done.stdout.split("Backprop of E = 245000")[1:]
    assert len(frames) == 4
    assert "step 1 of 9" in frames[1] and "step 9 of 9" in frames[2]
    assert "−3500" in frames[2] and "step 8 of 9" in frames[3]


def test_run_terminal_keys_in_process():
    from micrograd_plus import Value

    a = Value(2.0, label="a")
    b = a * a
    b.label = "b"
    keys = iter(["\x1b[C", " ", "b", "s", "e", "x", "q"])
    out = io.StringIO()
    assert run_terminal(b, console=Console(file=out, width=100), read_key=lambda: next(keys)) == 0
    frames = out.getvalue().split("Backprop of b = 4")[1:]
    steps = [f.split("step ", 1)[1].split(" of")[0] for f in frames]
    assert steps == ["0", "1", "2", "1", "0", "2", "2"]  # x is ignored
    assert "∂b/∂a += ∂b/∂b · ∂b/∂a = (1)·(2) = 2" in frames[1]
    assert a.grad == 4.0


def test_big_graphs_fit_on_one_screen():
    from micrograd_plus import Value, dot
    from micrograd_plus.debug import render_state

    ws = [Value(0.01 * i, label=f"w{i}") for i in range(200)]
    h = dot(ws, list(range(200))).tanh()
    stepper = BackpropStepper(h)
    stepper.run_to(stepper.steps[1].node)  # the dot node: 200 parents
    out = io.StringIO()
    Console(file=out, width=100).print(render_state(stepper, max_rows=10, max_parents=5))
    text = out.getvalue()
    assert "… and 195 more parents" in text and "↓ 192 more steps below" in text
    assert "above" not in text  # the window starts at step 1
    assert len(text.splitlines()) < 30
    stepper.run_to(stepper.steps[100].node)  # the middle: rows hidden on both sides
    out = io.StringIO()
    Console(file=out, width=100).print(render_state(stepper, max_rows=10, max_parents=5))
    text = out.getvalue()
    assert "↑ 96 more steps above" in text and "↓ 96 more steps below" in text


def test_the_columns_are_explained_and_op_names_match():
    """∂E/∂node and .grad differ while the pass runs: a line says how; ops read alike."""
    from micrograd_plus import Value, dot
    from micrograd_plus.debug import render_state

    w = [Value(50.0, label="w_meat"), Value(50.0, label="w_veg")]
    y = dot(w, [5, 2])
    y.label = "y"
    E = 0.5 * (1250 - y) ** 2
    E.label = "E"
    stepper = BackpropStepper(E)
    stepper.run_to(y)
    out = io.StringIO()
    Console(file=out, width=120).print(render_state(stepper))
    text = out.getvalue()
    assert "∂E/∂node: the gradient of E with respect to the node, once its step has run" in text
    assert ".grad: what node.grad holds now" in text
    panel = next(line for line in text.splitlines() if "node y" in line)
    assert "(op ·," in panel  # the table's symbol, not the internal name 'dot'
    assert row(text, "y").split("│")[2].strip() == "·"
