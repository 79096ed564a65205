"""Where templates are looked up: the user's folder, the workspace's, then the built-ins.

Apart from :mod:`advocacy.templating` (Jinja and the sandbox), so that finding the folders, as
an unchanged packet rerun does to hash them, imports no Jinja.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def builtin_dir() -> Path:
    """The folder of the built-in templates inside the installed package."""
    return Path(str(resources.files("advocacy.builtin_templates")))


def search_path(templates_dir: Path | None = None, workspace: Path | None = None) -> list[Path]:
    """Folders to look templates up in, first match wins; the built-ins come last."""
    folders: list[Path] = []
    if templates_dir is not None:
        folders.append(templates_dir)
    workspace_templates = (workspace or Path.cwd()) / "templates"
    if workspace_templates.is_dir() and workspace_templates.resolve() != builtin_dir().resolve():
        folders.append(workspace_templates)
    folders.append(builtin_dir())
    return folders
