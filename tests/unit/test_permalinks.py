"""The permalink structure learnt from a draft's template, and addresses predicted from it."""

from __future__ import annotations

import pytest

from migrator.core.permalinks import StructureWatch, predict_address, structure_of

DATE = "2024-03-05T10:20:30"


@pytest.mark.parametrize(
    ("template", "structure"),
    [
        ("https://s.example/%postname%/", "https://s.example/%postname%/"),
        ("https://s.example/blog/%postname%/", "https://s.example/blog/%postname%/"),
        ("https://s.example/2024/03/05/%postname%/", "https://s.example/%year%/%monthnum%/%day%/%postname%/"),
        ("https://s.example/2024/03/%postname%/", "https://s.example/%year%/%monthnum%/%postname%/"),
        ("https://s.example/archives/2024/%postname%.html", "https://s.example/archives/%year%/%postname%.html"),
    ],
)
def test_the_structure_is_the_template_with_its_date_put_back(template, structure):
    assert structure_of(template, post_id=77, local_date=DATE) == structure


@pytest.mark.parametrize(
    "template",
    [
        None,
        "https://s.example/?p=77",                  # plain permalinks
        "https://s.example/archives/77",            # numeric: the id, known once the post exists
        "https://s.example/77/%postname%/",
    ],
)
def test_structures_that_need_the_created_post_cannot_be_predicted(template):
    assert structure_of(template, post_id=77, local_date=DATE) is None


def test_month_and_day_that_look_alike_are_told_apart_by_their_order():
    structure = structure_of("https://s.example/2024/03/03/%postname%/", post_id=1, local_date="2024-03-03T00:00:00")
    assert structure == "https://s.example/%year%/%monthnum%/%day%/%postname%/"
    assert predict_address(structure, slug="x", local_date="2023-11-30T08:00:00") == "https://s.example/2023/11/30/x/"


def test_a_prediction_encodes_the_slug_as_wordpress_stores_it():
    assert predict_address("https://s.example/%postname%/", slug="벤치-1", local_date=DATE) == (
        "https://s.example/%eb%b2%a4%ec%b9%98-1/"
    )


def test_the_watch_predicts_only_while_every_post_agrees():
    watch = StructureWatch()
    assert watch.predict(slug="a", local_date=DATE) is None  # nothing learnt yet
    watch.learn("https://s.example/2024/03/05/%postname%/", post_id=1, local_date=DATE)
    watch.learn("https://s.example/2021/12/31/%postname%/", post_id=2, local_date="2021-12-31T23:00:00")
    assert watch.predict(slug="b", local_date="2020-01-02T03:04:05") == "https://s.example/2020/01/02/b/"
    # A %category% structure: the next post, in another category, disagrees; predictions stop.
    watch.learn("https://s.example/travel/%postname%/", post_id=3, local_date=DATE)
    assert watch.predict(slug="b", local_date=DATE) is None
    watch.learn("https://s.example/2024/03/05/%postname%/", post_id=4, local_date=DATE)
    assert watch.predict(slug="b", local_date=DATE) is None


def test_plain_permalinks_stop_predictions():
    watch = StructureWatch()
    watch.learn("https://s.example/?p=9", post_id=9, local_date=DATE)
    assert watch.predict(slug="b", local_date=DATE) is None
