"""Executing a page: papermill runs the notebook in a kernel whose connection is encrypted (no warning about
plain-text traffic, once per page) and whose own log goes to a file, not to the terminal."""

from dataclasses import dataclass

import nbformat

from fmnist_lib.report.execute import Paths, execute_section


KERNEL_LOG_LINE = "get_ipython().kernel.log.error(\"a line of the kernel's own log\")"  # as the kernel logs


@dataclass(frozen=True)
class Page:
    name: str = "tiny"
    notebook: str = "00_tiny.ipynb"


def test_a_page_executes_over_an_encrypted_kernel_connection_without_a_warning(tmp_path, capfd):
    (tmp_path / "notebooks").mkdir()
    source = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("n = 1", metadata={"tags": ["parameters"]}),
                                             nbformat.v4.new_code_cell("print(n * 7)"),
                                             nbformat.v4.new_code_cell(KERNEL_LOG_LINE)])
    source.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    nbformat.write(source, tmp_path / "notebooks" / Page.notebook)
    execute_section(Paths(tmp_path), Page(), {"n": 6})
    executed = nbformat.read(tmp_path / "build" / "executed" / Page.notebook, as_version=4)
    printed = next(cell for cell in executed.cells if cell.source == "print(n * 7)")
    assert printed.outputs[0]["text"] == "42\n"  # the injected parameter
    shown = capfd.readouterr()
    assert "without encryption" not in shown.err + shown.out  # the kernel inherits this process's standard error
    assert "a line of the kernel's own log" not in shown.err + shown.out
    assert "a line of the kernel's own log" in (tmp_path / "build" / "logs" / "00_tiny.kernel.log").read_text()
