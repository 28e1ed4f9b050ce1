"""Executes notebooks through Jupyter's own machinery (nbclient) with the repo's tslab kernelspec.

Usage: run_notebooks.py [--out DIR] [--timeout SECONDS] [--kernel NAME] [notebook.ipynb ...]   (default: notebooks/*.ipynb,
kernel ganbook-ts: the repo's kernelspec; test/own-project.test.ts names another)

Each notebook runs in a fresh kernel, one at a time; a failing notebook does not stop the others.
For each failure it prints the notebook, the failing cell's source and the cell's stderr, where tslab
sends the real error text (nbclient itself only sees "Error:"). It also checks that each notebook
produced the rich outputs its metadata promises (metadata.ganbook.expects, e.g.
{"image/png": 2, "plotly": 1, "table": 1}) and that TensorFlow.js's "install tfjs-node" banner is
not in any output. Executed copies are written to build/notebooks/ (git-ignored).
Exits 1 when any notebook failed; the last line reads "notebooks: N passed, M failed".
"""
import argparse
import glob
import os
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KERNEL = "ganbook-ts"
BANNER = "Hi, looks like you are running TensorFlow.js in Node.js"


def output_text(output):
    """All the text of one output (stream text, error text, or its data's text/plain and text/html)."""
    if output.get("output_type") == "stream":
        return output.get("text", "")
    if output.get("output_type") == "error":
        return "\n".join(output.get("traceback", [])) or f"{output.get('ename')}: {output.get('evalue')}"
    data = output.get("data", {})
    return "\n".join(str(data.get(k, "")) for k in ("text/plain", "text/html", "text/markdown"))


def count_rich(nb):
    """How many outputs of each promised kind the executed notebook holds."""
    counts = {"image/png": 0, "image/gif": 0, "plotly": 0, "table": 0, "markdown": 0}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            for mime in ("image/png", "image/gif"):
                if mime in data:
                    counts[mime] += 1
            html = str(data.get("text/html", ""))
            if "Plotly.newPlot" in html:
                counts["plotly"] += 1
            if "<table" in html:
                counts["table"] += 1
            if "text/markdown" in data:
                counts["markdown"] += 1
    return counts


def indent(text, prefix="    "):
    return "\n".join(prefix + line for line in str(text).rstrip().splitlines()) or prefix + "(empty)"


def run_notebook(path, out_dir, timeout, kernel=KERNEL):
    """Runs one notebook; returns a list of problems (empty when it passed)."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name=kernel,
        timeout=timeout,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}},
    )
    client.reset_execution_trackers()
    problems = []
    try:
        with client.setup_kernel():
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                try:
                    client.execute_cell(cell, index)
                except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:
                    stderr = "".join(
                        o.get("text", "") for o in cell.get("outputs", []) if o.get("name") == "stderr"
                    )
                    kind = type(error).__name__
                    detail = stderr.strip() or str(error).strip()
                    problems.append(
                        f"cell {index} failed ({kind}).\n  source:\n{indent(cell.source)}\n  error:\n{indent(detail)}"
                    )
                    break
    except Exception as error:  # the kernel did not start, or died between cells
        problems.append(f"the kernel failed: {type(error).__name__}: {error}")
    finally:
        os.makedirs(out_dir, exist_ok=True)
        nbformat.write(nb, os.path.join(out_dir, os.path.basename(path)))

    if not problems:
        expects = nb.metadata.get("ganbook", {}).get("expects", {})
        counts = count_rich(nb)
        for kind, minimum in expects.items():
            if counts.get(kind, 0) < minimum:
                problems.append(f"promised at least {minimum} {kind} output(s), produced {counts.get(kind, 0)}")
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if BANNER in output_text(out):
                problems.append(f"cell {index} shows TensorFlow.js's install-tfjs-node banner")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*")
    parser.add_argument("--out", default=os.path.join(REPO, "build", "notebooks"))
    parser.add_argument("--timeout", type=int, default=int(os.environ.get("GANBOOK_CELL_TIMEOUT", "900")))
    parser.add_argument("--kernel", default=KERNEL)
    args = parser.parse_args()
    paths = args.notebooks or sorted(glob.glob(os.path.join(REPO, "notebooks", "*.ipynb")))
    if not paths:
        print("no notebooks found", file=sys.stderr)
        return 1
    mode = "quick" if os.environ.get("GANBOOK_QUICK", "") not in ("", "0", "false") else "full"
    print(f"Running {len(paths)} notebook(s) through Jupyter (kernel {args.kernel}, {mode} mode)", flush=True)
    failed = []
    for path in paths:
        name = os.path.relpath(path, REPO) if os.path.abspath(path).startswith(REPO + os.sep) else path
        start = time.time()
        problems = run_notebook(path, args.out, args.timeout, args.kernel)
        took = time.time() - start
        status = "ok" if not problems else "FAIL"
        print(f"{status:4} {name} ({took:.1f} s)", flush=True)
        if problems:
            failed.append(name)
            for problem in problems:
                print(indent(problem, "  | "), flush=True)
    passed = len(paths) - len(failed)
    if failed:
        print("failed notebooks: " + ", ".join(failed))
    print(f"executed copies in {args.out}/")
    print(f"notebooks: {passed} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
