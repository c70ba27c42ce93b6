"""The shipped catalog is complete, and a corrupt one is refused with file, entry and reason."""

import tomllib
from importlib import resources

import pytest

from layanan.domain.catalog import MAX_CHOICES, CatalogError, load_catalog, parse_catalog

REQUIRED_SERVICES = {
    "ktp_new",
    "ktp_replace",
    "kk_new",
    "kk_change",
    "akta_lahir",
    "akta_kematian",
    "sk_domisili",
    "sktm",
    "sk_usaha",
    "pengantar_nikah",
    "bansos_dtks",
    "bansos_complaint",
    "pengaduan",
    "call_staff",
}


def shipped() -> dict:
    return tomllib.loads(resources.files("layanan").joinpath("data/catalog.toml").read_text())


def test_shipped_catalog_has_every_village_office_service():
    catalog = load_catalog()
    assert set(catalog.services) >= REQUIRED_SERVICES
    assert len(catalog.categories) <= MAX_CHOICES
    for service in catalog.services.values():
        for lang in ("id", "en"):
            assert service.title.get(lang) and service.prompt.get(lang) and service.done.get(lang)


def test_every_service_with_personal_fields_asks_only_for_defined_fields():
    catalog = load_catalog()
    for service in catalog.services.values():
        assert set(service.fields) <= set(catalog.fields)
        assert set(service.documents) <= set(catalog.documents)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(schema=2), "schema"),
        (lambda d: d["services"][0].update(fields=["nik", "shoe_size"]), "field 'shoe_size' is not defined"),
        (lambda d: d["services"][0].update(category="nowhere"), "category 'nowhere'"),
        (lambda d: d["services"][0]["title"].pop("en"), "no text for language 'en'"),
        (lambda d: d["fields"]["nik"].update(kind="colour"), "kind 'colour' is unknown"),
        (
            lambda d: d["documents"]["kk_copy"].update(kind="poster"),
            "documents.kk_copy: kind 'poster' is unknown",
        ),
        (
            lambda d: d["documents"]["kk_copy"].update(capture="ktp"),
            "'kind' and 'capture' (its old name) disagree",
        ),
        (lambda d: d["services"].append(dict(d["services"][0])), "duplicate service id"),
        (lambda d: d["categories"].append(dict(d["categories"][0], id="x")), "need 1 to 6 categories"),
    ],
)
def test_corrupt_catalog_is_refused_naming_entry_and_reason(mutate, message):
    data = shipped()
    mutate(data)
    with pytest.raises(CatalogError) as err:
        parse_catalog(data, "catalog.toml")
    assert message in str(err.value)
    assert str(err.value).startswith("catalog.toml:")


def test_a_catalog_that_still_says_capture_for_the_document_kind_reads_the_same():
    old = shipped()
    for document in old["documents"].values():
        if "kind" in document:
            document["capture"] = document.pop("kind")
    assert parse_catalog(old, "old.toml").documents == load_catalog().documents
    assert {d.kind for d in load_catalog().documents.values()} == {"ktp", "card", "kk", "letter"}


def test_unreadable_or_broken_catalog_file_is_refused(tmp_path):
    broken = tmp_path / "catalog.toml"
    broken.write_text("schema = 1\n[[services]\n")
    with pytest.raises(CatalogError, match="not valid TOML"):
        load_catalog(broken)
    with pytest.raises(CatalogError, match="cannot read"):
        load_catalog(tmp_path / "missing.toml")


def test_services_name_the_supplies_they_use_and_their_staff_time() -> None:
    from layanan.domain.catalog import load_catalog

    catalog = load_catalog()
    assert set(catalog.supplies) == {"ktp_blank", "kk_form", "akta_paper"}
    assert catalog.services["ktp_replace"].supplies == {"ktp_blank": 1.0}
    assert catalog.services["akta_lahir"].supplies == {"akta_paper": 1.0}
    assert catalog.supplies["kk_form"].title.get("id") == "Blangko Kartu Keluarga"
    assert all(s.staff_minutes > 0 for s in catalog.services.values())


def test_a_supply_that_is_not_defined_is_refused_with_its_service() -> None:
    import tomllib
    from importlib import resources

    import pytest

    from layanan.domain.catalog import CatalogError, parse_catalog

    data = tomllib.loads(resources.files("layanan").joinpath("data/catalog.toml").read_text("utf-8"))
    data["services"][0]["supplies"] = {"paspor_blank": 1}
    with pytest.raises(
        CatalogError, match=r"services\[0\] \(ktp_new\): supply 'paspor_blank' is not defined"
    ):
        parse_catalog(data, "c.toml")
    data["services"][0]["supplies"] = {"ktp_blank": -1}
    with pytest.raises(CatalogError, match="units per request must be a number above 0"):
        parse_catalog(data, "c.toml")


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["fields"]["sktm_purpose"]["options"][1].update(icon="bantuan"), "is an action button's"),
        (lambda d: d["categories"][0].update(icon="start"), "is an action button's"),
        (
            lambda d: d["fields"]["complaint_topic"]["options"][1].update(icon="bansos"),
            "belongs to a category",
        ),
        (lambda d: d["fields"]["sktm_purpose"]["options"][1].update(icon="opt_school"), "on the same screen"),
        (
            lambda d: d["documents"]["marriage_book"].update(icon="doc_ktp_copy"),
            "documents.marriage_book: icon 'doc_ktp_copy' is already documents.ktp_copy's",
        ),
    ],
)
def test_a_choice_drawn_with_a_borrowed_pictogram_is_refused(mutate, message):
    data = shipped()
    mutate(data)
    with pytest.raises(CatalogError, match=message):
        parse_catalog(data, "catalog.toml")


def tiny_catalog(documents: dict[str, str]) -> dict:
    """One category, a service per document (so no two documents share a screen), each document its icon."""
    text = {"id": "teks", "en": "text"}
    return {
        "schema": 1,
        "categories": [{"id": "surat", "icon": "surat", "title": text, "prompt": text}],
        "fields": {},
        "documents": {doc: {"icon": icon, "title": text} for doc, icon in documents.items()},
        "services": [
            {
                "id": f"svc_{doc}",
                "category": "surat",
                "icon": f"svc_{doc}",
                "ticket_letter": "S",
                "office": "desa",
                "title": text,
                "prompt": text,
                "done": text,
                "documents": [doc],
            }
            for doc, icon in documents.items()
        ],
    }


def test_two_documents_with_one_pictogram_are_refused_even_on_different_screens():
    ok = parse_catalog(
        tiny_catalog({"death_letter": "doc_death_letter", "ktp_deceased": "doc_ktp_deceased"}), "t.toml"
    )
    assert {d.icon for d in ok.documents.values()} == {"doc_death_letter", "doc_ktp_deceased"}
    borrowed = tiny_catalog({"death_letter": "doc_letter", "police_report": "doc_letter"})
    with pytest.raises(CatalogError) as err:
        parse_catalog(borrowed, "t.toml")
    assert str(err.value).startswith(
        "t.toml: documents.police_report: icon 'doc_letter' is already documents.death_letter's"
    )


def test_every_document_of_the_shipped_catalog_has_its_own_pictogram():
    icons = [d.icon for d in load_catalog().documents.values()]
    assert len(icons) == len(set(icons)) == 13
