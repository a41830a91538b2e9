import re

from django import forms
from django.contrib.auth import get_user_model

from annotations.extraction.spans import SpanError, utf16_to_codepoint
from annotations.models import Article, ClaimType, Role, Stance
from annotations.services.articles import Metadata


class MetadataForm(forms.Form):
    """What a reviewer may say about an article they import; empty fields are
    filled from the text itself where the cleaner finds them."""

    title = forms.CharField(max_length=500, required=False)
    outlet = forms.CharField(max_length=200, required=False)
    author = forms.CharField(max_length=300, required=False)
    url = forms.URLField(max_length=2000, required=False, assume_scheme="https", label="URL")
    published = forms.DateField(
        required=False,
        label="Published date",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def metadata(self) -> Metadata:
        data = self.cleaned_data
        return Metadata(
            title=data.get("title") or "",
            outlet=data.get("outlet") or "",
            author=data.get("author") or "",
            url=data.get("url") or "",
            published=data.get("published"),
        )


class PasteForm(MetadataForm):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text="Plain text, or the text of a page as copied or scraped from a browser.",
        strip=False,
    )

    def clean_text(self):
        text = self.cleaned_data["text"]
        if not text.strip():
            raise forms.ValidationError("The text is empty.")
        return text


class UploadForm(MetadataForm):
    file = forms.FileField(help_text="A .txt, .html or .md file.")


class UrlForm(forms.Form):
    url = forms.URLField(max_length=2000, assume_scheme="https", label="URL")


class BulkForm(forms.Form):
    file = forms.FileField(
        help_text="JSONL or CSV, one article per row: title, url, outlet, author, "
        "published (YYYY-MM-DD), and text or html."
    )


# Review: every form below also works as a plain post without JavaScript.
# Forms that change a claim carry the version they were based on, so a save
# over someone else's newer change is refused instead of overwriting it.


class ClaimDecisionForm(forms.Form):
    action = forms.ChoiceField(choices=[("accept", "Accept"), ("dismiss", "Dismiss")])
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class ClaimEditForm(forms.Form):
    normalized_text = forms.CharField(
        required=False,
        label="Normalized wording",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The claim in plain words, as it would be checked.",
    )
    claimant = forms.CharField(max_length=300, required=False, help_text="Who makes the claim.")
    claim_type = forms.ChoiceField(choices=ClaimType.choices, label="Type")
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class VerdictForm(forms.Form):
    label = forms.ChoiceField(label="Verdict", widget=forms.RadioSelect)
    rationale = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why: what the evidence shows. Ctrl+Enter saves.",
    )
    # The version of the reviewer's own verdict the form showed; 0 for none.
    verdict_version = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, labels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["label"].choices = [(label.slug, label.name) for label in labels]


class FinalVerdictForm(forms.Form):
    final_verdict = forms.ChoiceField(required=False, label="Final verdict")
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, labels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["final_verdict"].choices = [("", "Follow the reviewers")] + [
            (label.slug, label.name) for label in labels
        ]


class ClaimCreateForm(forms.Form):
    """A span the reviewer selected in the text. The browser sends its
    selection in UTF-16 code units; without JavaScript the quote alone is
    enough when it occurs once in the text."""

    quote = forms.CharField(
        strip=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Select text in the article, or type words that occur once in it.",
    )
    start_utf16 = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)
    end_utf16 = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)
    claimant = forms.CharField(max_length=300, required=False)
    claim_type = forms.ChoiceField(choices=ClaimType.choices, label="Type", initial="other")

    def span(self, text: str) -> tuple[int, int]:
        """Code-point offsets of the quote in ``text``; raises SpanError."""
        quote = self.cleaned_data["quote"]
        start16, end16 = self.cleaned_data["start_utf16"], self.cleaned_data["end_utf16"]
        if start16 is not None and end16 is not None:
            return utf16_to_codepoint(text, start16), utf16_to_codepoint(text, end16)
        found = text.count(quote)
        if found == 0:
            raise SpanError("these words are not in the article's text")
        if found > 1:
            raise SpanError(f"these words occur {found} times in the text: select the one you mean")
        start = text.index(quote)
        return start, start + len(quote)


EVIDENCE_TARGET = re.compile(r"^(article|claim):(\d+)$")


class EvidenceForm(forms.Form):
    url = forms.URLField(
        max_length=2000, required=False, assume_scheme="https", label="URL of a source"
    )
    target = forms.CharField(
        required=False,
        label="Or an article or claim of the project",
        widget=forms.HiddenInput,
    )
    stance = forms.ChoiceField(
        choices=Stance.choices, initial=Stance.SUPPORTS, widget=forms.RadioSelect
    )
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_target(self):
        target = self.cleaned_data["target"].strip()
        if target and not EVIDENCE_TARGET.match(target):
            raise forms.ValidationError("Pick an article or a claim from the list.")
        return target

    def clean(self):
        data = super().clean()
        if bool(data.get("url")) == bool(data.get("target")):
            raise forms.ValidationError(
                "Give a URL, or pick an article or a claim: one of them, not both."
            )
        return data

    def target_kind_and_id(self) -> tuple[str, int] | None:
        match = EVIDENCE_TARGET.match(self.cleaned_data.get("target") or "")
        return (match.group(1), int(match.group(2))) if match else None


class EvidenceLinkForm(forms.Form):
    """Change one evidence link's stance and note. Prefixed with the link, so
    each link of the list has its own form and ids."""

    stance = forms.ChoiceField(choices=Stance.choices, widget=forms.RadioSelect)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, link, **kwargs):
        kwargs.setdefault("prefix", f"link{link.pk}")
        kwargs.setdefault(
            "initial", {"stance": link.stance, "note": link.note, "version": link.version}
        )
        super().__init__(*args, **kwargs)
        self.link_pk = link.pk
        self.conflict = None  # someone else's newer version, shown above the form


class ExcerptForm(forms.Form):
    """A passage of the text an evidence link points into. The page's script
    sends the selection in code points; without JavaScript, words that occur
    once in the text are enough."""

    quote = forms.CharField(
        label="Excerpt",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Select a passage in the text, or type words that occur once in it.",
        error_messages={"required": "Select a passage in the text first."},
    )
    start = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)
    end = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def span(self, text: str) -> tuple[int, int]:
        """Code-point offsets of the quote in ``text``; raises SpanError."""
        quote, start, end = (self.cleaned_data[name] for name in ("quote", "start", "end"))
        if start is not None and end is not None:
            return start, end
        found = text.count(quote)
        if found == 0:
            raise SpanError("these words are not in the text")
        if found > 1:
            raise SpanError(f"these words occur {found} times in the text: select the one you mean")
        start = text.index(quote)
        return start, start + len(quote)


ASSIGNABLE_ROLES = (Role.REVIEWER, Role.EDITOR, Role.ADMIN)


class ArticleAssignForm(forms.Form):
    """Assign articles of a project to one of its reviewers, or to nobody."""

    article = forms.ModelMultipleChoiceField(
        queryset=Article.objects.none(),
        error_messages={
            "required": "Select at least one article.",
            "invalid_choice": "One of the articles is not in this project (any more).",
            "invalid_pk_value": "One of the articles is not in this project (any more).",
        },
    )
    assignee = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        label="Assign to",
        empty_label="Choose a reviewer",
        error_messages={"invalid_choice": "Choose a reviewer of this project."},
    )
    action = forms.ChoiceField(
        choices=[("assign", "Assign"), ("unassign", "Unassign")], initial="assign"
    )

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["article"].queryset = Article.objects.in_project(project).only(
            "id", "project_id", "title", "assigned_to_id"
        )
        self.fields["assignee"].queryset = get_user_model().objects.filter(
            memberships__project=project, memberships__role__in=ASSIGNABLE_ROLES
        )

    def clean(self):
        data = super().clean()
        if data.get("action") == "assign" and not data.get("assignee"):
            self.add_error("assignee", "Choose who to assign them to.")
        return data

    def new_assignee(self):
        """Who the articles go to: None to unassign them."""
        data = self.cleaned_data
        return data["assignee"] if data["action"] == "assign" else None
