# Jupyter configuration for running the book's notebooks locally, read by
# `.venv/bin/jupyter lab book/` started from the repository root (Jupyter loads the
# config files of the working directory). The book works offline, and so does its
# JupyterLab: nothing here lets the server or the page contact the internet.
c = get_config()  # noqa: F821 (provided by Jupyter when it loads this file)

# No news feed and no update check (both would fetch from the web).
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = (
    "jupyterlab.handlers.announcements.NeverCheckForUpdate"
)
# The extension manager lists installed extensions only; it never queries PyPI.
c.LabApp.extension_manager = "readonly"
