"""Executing a page: papermill runs the notebook in a kernel whose connection is encrypted, so no warning about
plain-text traffic reaches the terminal once per page."""

from dataclasses import dataclass

import nbformat

from fmnist_lib.report.execute import Paths, execute_section


@dataclass(frozen=True)
class Page:
    name: str = "tiny"
    notebook: str = "00_tiny.ipynb"


def test_a_page_executes_over_an_encrypted_kernel_connection_without_a_warning(tmp_path, capfd):
    (tmp_path / "notebooks").mkdir()
    source = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("n = 1", metadata={"tags": ["parameters"]}),
                                             nbformat.v4.new_code_cell("print(n * 7)")])
    source.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    nbformat.write(source, tmp_path / "notebooks" / Page.notebook)
    execute_section(Paths(tmp_path), Page(), {"n": 6})
    executed = nbformat.read(tmp_path / "build" / "executed" / Page.notebook, as_version=4)
    assert executed.cells[-1].outputs[0]["text"] == "42\n"
    shown = capfd.readouterr()
    assert "without encryption" not in shown.err + shown.out  # the kernel's own stderr is this process's
