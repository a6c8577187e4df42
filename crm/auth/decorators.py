"""The permission decorator every non-public view wears."""

from functools import wraps

from flask import abort
from flask_login import current_user

from crm.extensions import login_manager


def roles_required(*roles):
    """Login required; then 403 unless the user has one of the roles."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = tuple(roles)
        return wrapped

    return decorator


def login_required_any_role(view):
    """Any logged-in user; object-level checks happen in the view."""
    from crm.auth.roles import Role

    return roles_required(*Role)(view)
