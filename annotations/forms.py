from django import forms

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
