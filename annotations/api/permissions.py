"""Who may do what. Reads are scoped by the querysets (another project's
object is a 404); writes need a role in the object's project, which the
services check again (a role too low is a 403)."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from annotations.models import Membership, Role


def project_of(obj):
    for path in ("project", "article.project", "claim.article.project", "left.article.project"):
        target = obj
        for name in path.split("."):
            target = getattr(target, name, None)
            if target is None:
                break
        if target is not None:
            return target
    return None


class ProjectRole(BasePermission):
    """Reads need membership (the queryset sees to it); writes need the
    view's ``write_role`` (reviewer by default) in the object's project."""

    message = "Your role in this project does not allow this."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request, view, obj):
        if request.method in SAFE_METHODS:
            return True
        project = project_of(obj)
        membership = Membership.objects.filter(project=project, user=request.user).first()
        role = getattr(view, "write_role", Role.REVIEWER)
        return membership is not None and membership.has_role(role)
