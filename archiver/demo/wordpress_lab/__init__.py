"""A real-WordPress lab for end-to-end tests: Debian's WordPress 6.1, MariaDB and Apache in a temporary folder,
the unmodified comment plugins (wpDiscuz 7.6.63, Comments Like Dislike 1.2.4) and the demo model loaded through
WordPress's own PHP, so that ``archiver.demo.model``'s truth is the truth of a real site too.

    from archiver.demo.wordpress_lab import LabCell, WordPressLab, available

    with WordPressLab() as lab:               # starts MariaDB + Apache on 127.0.0.1, installs, loads the model
        cell = LabCell(plugin="wpdiscuz", rest="401")
        lab.configure(cell)                   # one PHP call
        truth = lab.truth(cell)               # the demo's truth format, at lab.base_url

By hand: ``python -m archiver.demo.wordpress_lab --plugin wpdiscuz --per-page 5 --rest 401``.
"""

from archiver.demo.wordpress_lab.content import LAB_OPTIONS, LabCell, cell_truth, export, lab_site
from archiver.demo.wordpress_lab.lab import (
    PACKAGES,
    LabError,
    WordPressLab,
    available,
    check_plugins,
    ensure_packages,
    plugins_dir,
)

__all__ = [
    "LAB_OPTIONS",
    "PACKAGES",
    "LabCell",
    "LabError",
    "WordPressLab",
    "available",
    "cell_truth",
    "check_plugins",
    "ensure_packages",
    "export",
    "lab_site",
    "plugins_dir",
]
