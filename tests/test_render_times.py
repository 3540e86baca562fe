"""The minutes' time stamps, their fields looked up in a table, against their plain formatting."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from gavel.render.links import hms, hms_reference, iso, iso_reference


@given(st.datetimes(timezones=st.just(UTC)) | st.datetimes())
def test_time_stamps_are_their_references(moment: datetime) -> None:
    assert hms(moment) == hms_reference(moment)
    assert iso(moment) == iso_reference(moment)
