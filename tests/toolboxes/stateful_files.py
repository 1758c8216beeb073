"""A stateful toolbox for the tests: a small in-memory file system."""

from ste.tools.effects import read_only
from ste.tools.stateful import stateful


@stateful(setup="load", error_key="error")
class Files:
    def __init__(self) -> None:
        self.files: dict[str, str] = {}

    def load(self, state: dict) -> None:
        self.files = dict(state.get("files", {}))

    @read_only
    def list_files(self) -> list:
        """List the paths of every file, sorted."""
        return sorted(self.files)

    def write_file(self, path: str, text: str) -> dict:
        """Write a text file, replacing what it held.

        Args:
            path: Where, such as "notes/todo.txt".
            text: The whole content.
        """
        if not path or path.endswith("/"):
            return {"error": f"{path!r} is not a file path; give one such as 'notes/todo.txt'"}
        self.files[path] = text
        return {"written": path, "total_files": len(self.files)}

    @read_only
    def read_file(self, path: str) -> str:
        """Read a text file.

        Args:
            path: The file's path.
        """
        if path not in self.files:
            return {"error": f"no file {path!r}; the files are: {', '.join(sorted(self.files))}"}
        return self.files[path]

    def _private(self) -> None:
        """Not a tool."""
