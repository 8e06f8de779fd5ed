"""Sphinx extension loaded by _config.yml (sphinx.local_extensions): two fixes for the HTML.

1. Duplicate inline scripts.

Inline scripts added with ``app.add_js_file(None, body=...)`` after the builder starts
(sphinx-thebe's configuration, sphinx-togglebutton's selector) end up twice in every page
with Sphinx 7.4: once as added (file name None) and once more when the HTML builder
re-adds the registered assets in ``prepare_writing`` (file name ''), and the two do not
compare equal. sphinx-thebe's copy declares ``const THEBE_JS_URL``, so the second one is a
``SyntaxError`` in the browser console of every page (tests/book/test_browser.py catches it).
This drops exact duplicates from the page's script list before the page is rendered.

2. Re-exported names in the API pages. book/api/*.md documents each object once, in the
module that defines it (``rnnbook.torch.tcn.TCN``), while docstrings and chapters name it
the way readers import it (``rnnbook.torch.TCN``, or ``TCN`` inside a module that imports
it). For a ``py`` reference to an rnnbook name that Sphinx cannot find, this imports the
object and retries with its defining module and qualified name. A name that does not
import, or whose defining location is not documented either, stays a broken reference
(a warning under -n), so real mistakes are still reported.
"""

import importlib


def _script_key(script):
    filename = getattr(script, "filename", script) or ""
    attributes = getattr(script, "attributes", {})
    return (
        str(filename),
        getattr(script, "priority", None),
        tuple(sorted((key, str(value)) for key, value in attributes.items())),
    )


def drop_duplicate_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen = set()
    unique = []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def _import_target(target, context_module=None):
    """The object that a dotted py target names, looked up as Python would import it."""
    candidates = [target]
    if context_module and not target.startswith("rnnbook."):
        candidates.append(f"{context_module}.{target}")
    for candidate in candidates:
        if not candidate.startswith("rnnbook."):
            continue
        parts = candidate.split(".")
        for split in range(len(parts), 0, -1):
            try:
                obj = importlib.import_module(".".join(parts[:split]))
            except ImportError:
                continue
            try:
                for attribute in parts[split:]:
                    obj = getattr(obj, attribute)
            except AttributeError:
                break
            return obj
    return None


def _defining_name(obj):
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if isinstance(obj, property):
        module, qualname = obj.fget.__module__, obj.fget.__qualname__
    if not module or not qualname or not module.startswith("rnnbook"):
        return None
    return f"{module}.{qualname}"


def resolve_reexported(app, env, node, contnode):
    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "")
    obj = _import_target(target, node.get("py:module"))
    if obj is None and node.get("py:class"):
        obj = _import_target(f"{node['py:class']}.{target}", node.get("py:module"))
    canonical = _defining_name(obj) if obj is not None else None
    if canonical is None or canonical == target:
        return None
    domain = env.get_domain("py")
    return domain.resolve_xref(
        env, node["refdoc"], app.builder, node["reftype"], canonical, node, contnode
    )


def setup(app):
    app.connect("missing-reference", resolve_reexported)
    # Late priority: after every other extension has added its per-page scripts.
    app.connect("html-page-context", drop_duplicate_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
