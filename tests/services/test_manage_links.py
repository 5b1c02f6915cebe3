import uuid

from services.manage_links import booking_of, manage_token, manage_url

SECRET = b"s3cret"


def test_a_token_names_its_booking_and_is_the_same_every_time():
    booking = str(uuid.uuid4())
    token = manage_token(SECRET, booking)
    assert token == manage_token(SECRET, booking)
    assert booking_of(SECRET, token) == booking
    assert manage_url("https://book.example.com/", SECRET, booking).endswith(f"/m/{token}")


def test_a_token_under_another_secret_or_altered_names_nothing():
    booking = str(uuid.uuid4())
    token = manage_token(SECRET, booking)
    assert booking_of(b"other", token) is None
    altered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    assert booking_of(SECRET, altered) is None


def test_junk_names_nothing():
    for junk in ["", "x", "%%%", "a" * 43, "é" * 43, "a" * 4000]:
        assert booking_of(SECRET, junk) is None
