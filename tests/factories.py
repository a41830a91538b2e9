import factory
from django.contrib.auth import get_user_model

from annotations.models import Article, Claim, ClaimOrigin, ClaimState, ImportSource, InputFormat
from annotations.services.projects import membership_set, project_create

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password(PASSWORD)


def ProjectFactory(slug=None, name=""):
    """Projects go through the service so they get their verdict labels."""
    ProjectFactory.counter = getattr(ProjectFactory, "counter", 0) + 1
    return project_create(slug=slug or f"project-{ProjectFactory.counter}", name=name)


def member(project, username, role):
    user = UserFactory(username=username)
    membership_set(project=project, user=user, role=role)
    return user


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article

    project = factory.LazyFunction(ProjectFactory)
    title = factory.Sequence(lambda n: f"Article {n}")
    outlet = "Example Times"
    canonical_text = factory.Sequence(
        lambda n: (
            f"Article number {n} says that 8,000 troops arrived in Kursk on 1 November. "
            "The minister said it was a serious escalation."
        )
    )
    original_input = factory.LazyAttribute(lambda o: o.canonical_text)
    content_hash = factory.LazyAttribute(lambda o: Article.hash_text(o.canonical_text))
    input_format = InputFormat.TEXT
    import_source = ImportSource.PASTE


class ClaimFactory(factory.django.DjangoModelFactory):
    """A candidate covering the first sentence of its article."""

    class Meta:
        model = Claim

    article = factory.SubFactory(ArticleFactory)
    start = 0
    end = factory.LazyAttribute(lambda o: o.article.canonical_text.index(".") + 1)
    quote = factory.LazyAttribute(lambda o: o.article.canonical_text[o.start : o.end])
    origin = ClaimOrigin.EXTRACTED
    score = 0.9
    state = ClaimState.CANDIDATE
