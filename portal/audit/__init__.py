"""The audit log: sensitive reads and every staff action on a person.

An entry names people by id while they exist and always by a pseudonym (a keyed hash of
their id), so that erasing a person can clear the ids and keep a pseudonymised trail.
Managers read their organisation's log at /staff/audit; a daily job purges old entries.
"""

from flask import Blueprint

bp = Blueprint("audit", __name__, url_prefix="/staff", template_folder="templates")

from portal.audit import routes  # noqa: E402, F401
