"""Personal data at rest: GB 11643 check digits, encryption with fresh nonces, keyed hashes, masks."""
import pytest

from shared.pii import PiiCipher, id_check_digit, mask_id_number, mask_phone, valid_id_number


@pytest.mark.parametrize("number, valid", [
    ("11010519491231002X", True),
    ("11010519491231002x", True),     # a lower-case X is the same check digit
    ("110105194912310021", False),    # wrong check digit
    ("11010519490231002X", False),    # Feb 31 is no birth date
    ("1101051949123100", False),      # too short
    ("١١٠١٠٥١٩٤٩١٢٣١٠٠٢X", False),   # digits of another script are not an ID number
])
def test_id_numbers(number, valid):
    assert valid_id_number(number) is valid


def test_check_digit_of_the_standard_example():
    assert id_check_digit("11010519491231002") == "X"


def test_every_encryption_uses_a_fresh_nonce_and_round_trips():
    cipher = PiiCipher("a key")
    tokens = [cipher.encrypt("11010519491231002X") for _ in range(10_000)]
    assert len(set(tokens)) == len(tokens)
    assert {cipher.decrypt(t) for t in tokens[::997]} == {"11010519491231002X"}
    assert PiiCipher("another key").keyed_hash("11010519491231002X") != cipher.keyed_hash("11010519491231002X")
    assert cipher.keyed_hash("11010519491231002x") == cipher.keyed_hash("11010519491231002X")


def test_the_keyed_hash_is_hmac_sha256_of_the_upper_case_number():
    import hashlib
    import hmac

    cipher = PiiCipher("a key")
    mac_key = hashlib.sha256(b"zhibu-pii-mac\0" + b"a key").digest()
    assert cipher.keyed_hash("11010519491231002x") == hmac.new(mac_key, b"11010519491231002X", "sha256").hexdigest()


def test_masks():
    assert mask_id_number("11010519491231002X") == "110***********002X"
    assert mask_phone("13812345678") == "138****5678"
