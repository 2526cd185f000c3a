"""Unit tests of the ConnectWise client's pure parts: Link parsing, retry rule, errors, config, models."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import msgspec
import pytest
from optima_connectwise.client import (
    CallbackDelivery,
    ClientConfig,
    Company,
    ConnectWiseAuthFailed,
    ConnectWiseClient,
    ConnectWiseError,
    ConnectWiseMisconfigured,
    ConnectWiseNotConfigured,
    ConnectWiseNotFound,
    ConnectWiseRequestRejected,
    ConnectWiseThrottled,
    ConnectWiseUnavailable,
    Contact,
    Member,
    Opportunity,
    PatchOp,
    Reference,
    replace,
)
from optima_connectwise.client.client import clean_path, normalize_codebase, normalize_site, record_id
from optima_connectwise.client.errors import error_from_response, error_name
from optima_connectwise.client.paging import find_link, link_query, parse_link_header
from optima_connectwise.client.retry import (
    Outcome,
    RetryPolicy,
    classify_exception,
    classify_status,
    may_retry,
    parse_retry_after,
)

from optima_platform.http.errors import ApiError

# -- Link headers ---------------------------------------------------------------------------------


def test_link_header_navigable() -> None:
    header = (
        '<https://cw.example/v2025_1/apis/3.0/company/companies?pageSize=2&page=1>; rel="first", '
        '<https://cw.example/v2025_1/apis/3.0/company/companies?pageSize=2&page=3>; rel="next", '
        '<https://cw.example/v2025_1/apis/3.0/company/companies?pageSize=2&page=9>; rel="last"'
    )
    links = parse_link_header(header)
    assert [sorted(link.rels) for link in links] == [["first"], ["next"], ["last"]]
    nxt = find_link(header, "next")
    assert nxt is not None and link_query(nxt) == {"pageSize": "2", "page": "3"}
    assert find_link(header, "prev") is None


def test_link_header_urls_with_commas_semicolons_and_multiple_rels() -> None:
    header = (
        '<https://h/x?fields=id,name&conditions=name%20like%20"a,b;c">; rel="next last"; title="t, u", '
        "<https://h/x?page=1>; rel=first"
    )
    links = parse_link_header(header)
    assert len(links) == 2
    assert links[0].url == 'https://h/x?fields=id,name&conditions=name%20like%20"a,b;c"'
    assert links[0].rels == {"next", "last"}
    assert links[0].params["title"] == "t, u"
    assert links[1].rels == {"first"}
    assert find_link(header, "LAST") == links[0].url


def test_link_header_forward_only_and_garbage() -> None:
    assert link_query(find_link('<https://h/x?pageSize=5&pageId=57>; rel="next"', "next") or "") == {
        "pageSize": "5",
        "pageId": "57",
    }
    assert parse_link_header(None) == []
    assert parse_link_header("") == []
    assert parse_link_header("not a link") == []
    assert find_link('garbage, <https://h/y?page=2>; rel="next"', "next") == "https://h/y?page=2"
    assert find_link('<https://h/z?page=2>; rel="next', "next") == "https://h/z?page=2"


# -- retry rule -----------------------------------------------------------------------------------


def test_status_classification() -> None:
    assert classify_status(200) is None
    assert classify_status(204) is None
    assert classify_status(429) is Outcome.THROTTLED
    assert classify_status(500) is Outcome.SERVER_ERROR
    assert classify_status(503) is Outcome.SERVER_ERROR
    for status in (400, 401, 403, 404, 409):
        assert classify_status(status) is Outcome.FINAL


def test_exception_classification() -> None:
    request = httpx.Request("GET", "https://h/")
    assert classify_exception(httpx.ConnectError("x", request=request)) is Outcome.NOT_SENT
    assert classify_exception(httpx.ConnectTimeout("x", request=request)) is Outcome.NOT_SENT
    assert classify_exception(httpx.PoolTimeout("x", request=request)) is Outcome.NOT_SENT
    assert classify_exception(httpx.ReadTimeout("x", request=request)) is Outcome.TIMED_OUT
    assert classify_exception(httpx.ReadError("x", request=request)) is Outcome.LOST
    assert classify_exception(httpx.RemoteProtocolError("x", request=request)) is Outcome.LOST
    assert classify_exception(httpx.UnsupportedProtocol("x", request=request)) is Outcome.FINAL


def test_non_idempotent_requests_retry_only_when_not_processed() -> None:
    for outcome in (Outcome.THROTTLED, Outcome.NOT_SENT):
        assert may_retry(outcome, idempotent=False)
        assert may_retry(outcome, idempotent=True)
    for outcome in (Outcome.SERVER_ERROR, Outcome.LOST, Outcome.TIMED_OUT):
        assert not may_retry(outcome, idempotent=False)
        assert may_retry(outcome, idempotent=True)
    assert not may_retry(Outcome.FINAL, idempotent=True)


def test_policy_limits_retries_and_timeouts() -> None:
    policy = RetryPolicy(max_retries=3)
    assert policy.should_retry(Outcome.SERVER_ERROR, attempt=2, idempotent=True, timeouts=0)
    assert not policy.should_retry(Outcome.SERVER_ERROR, attempt=3, idempotent=True, timeouts=0)
    assert policy.should_retry(Outcome.TIMED_OUT, attempt=0, idempotent=True, timeouts=1)
    assert not policy.should_retry(Outcome.TIMED_OUT, attempt=1, idempotent=True, timeouts=2)


def test_backoff_is_full_jitter_and_capped() -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_max=3.0, rng=random.Random(7))
    for attempt, ceiling in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 3.0), (10, 3.0), (500, 3.0)]:
        samples = [policy.backoff(attempt) for _ in range(200)]
        assert all(0.0 <= s <= ceiling for s in samples)
        assert max(samples) > ceiling * 0.8  # spread over the range, not a constant
        assert min(samples) < ceiling * 0.2
    assert policy.delay(0, retry_after=2.5) == 2.5
    assert policy.delay(0, retry_after=100.0) == 3.0


def test_retry_after_parsing() -> None:
    now = datetime(2026, 2, 20, 18, 0, 0, tzinfo=UTC)
    assert parse_retry_after("30") == 30.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("-4") == 0.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=12), usegmt=True), now=now) == 12.0
    assert parse_retry_after(format_datetime(now - timedelta(seconds=12), usegmt=True), now=now) == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("") is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("nan") is None


# -- error mapping --------------------------------------------------------------------------------


def _error(status: int, body: object) -> ConnectWiseError:
    content = body if isinstance(body, bytes) else msgspec.json.encode(body)
    return error_from_response(status, content, method="GET", path="company/companies/1")


def test_invalid_object_is_forwarded() -> None:
    body = {
        "code": "InvalidObject",
        "message": "pageSize is out of range",
        "errors": [{"code": "OutOfRange", "message": "1-1000", "resource": "pageSize", "field": "pageSize"}],
    }
    error = _error(400, body)
    assert isinstance(error, ConnectWiseRequestRejected) and isinstance(error, ApiError)
    assert (error.status, error.error, error.message) == (400, "ConnectWiseInvalidObject", body["message"])
    assert error.code == "InvalidObject" and error.cw_status == 400
    assert error.cw_errors[0]["field"] == "pageSize"
    assert error.body() == {
        "status": 400,
        "message": "pageSize is out of range",
        "error": "ConnectWiseInvalidObject",
        "successful": False,
    }


def test_error_mapping_by_status() -> None:
    not_found = _error(404, {"code": "NotFound", "message": "Company not found"})
    assert isinstance(not_found, ConnectWiseNotFound)
    assert (not_found.status, not_found.error, not_found.message) == (
        404,
        "ConnectWiseNotFound",
        "Company not found",
    )
    for status in (401, 403):
        auth = _error(status, {"code": "Unauthorized", "message": "nope"})
        assert isinstance(auth, ConnectWiseAuthFailed)
        assert (auth.status, auth.error, auth.cw_status) == (502, "ConnectWiseAuthFailed", status)
    ssl = _error(400, {"code": "Security", "message": "SSL is required.", "errors": None})
    assert isinstance(ssl, ConnectWiseMisconfigured) and ssl.status == 502
    throttled = _error(429, {"error": "ConnectWiseAPI", "message": "Too many requests."})
    assert isinstance(throttled, ConnectWiseThrottled) and throttled.status == 503
    assert throttled.error == "ConnectWiseThrottled"
    server = _error(500, b"<html>oops</html>")
    assert isinstance(server, ConnectWiseUnavailable)
    assert (server.status, server.error) == (502, "ConnectWiseUnavailable")
    conflict = _error(409, b"not json")
    assert (conflict.status, conflict.error) == (409, "ConnectWiseConflict")
    assert conflict.message == "ConnectWise rejected the request (409)"


def test_error_names_are_sanitised() -> None:
    assert error_name("InvalidObject", 400) == "ConnectWiseInvalidObject"
    assert error_name("invalid-object!", 400) == "ConnectWiseInvalidobject"
    assert error_name(None, 400) == "ConnectWiseBadRequest"
    assert error_name("", 418) == "ConnectWiseHttp418"


# -- configuration --------------------------------------------------------------------------------


def test_site_normalisation() -> None:
    assert normalize_site("api-na.myconnectwise.net") == "https://api-na.myconnectwise.net"
    assert normalize_site("https://api-eu.myconnectwise.net/") == "https://api-eu.myconnectwise.net"
    assert normalize_site("cw.example.com:8443") == "https://cw.example.com:8443"
    assert normalize_site("http://127.0.0.1:5555") == "http://127.0.0.1:5555"
    assert normalize_site("http://localhost:8080") == "http://localhost:8080"
    assert normalize_site("http://[::1]:8080") == "http://[::1]:8080"
    assert normalize_site("http://cw-sim:5555", allow_insecure_http=True) == "http://cw-sim:5555"
    for bad in (
        "http://cw.example.com",
        "ftp://cw.example.com",
        "https://cw.example.com/v4_6_release/apis/3.0",
        "https://user:pw@cw.example.com",
        "https://cw.example.com?x=1",
        "https://",
        "https://cw.example.com:99999",
    ):
        with pytest.raises(ValueError):
            normalize_site(bad)


def test_codebase_and_paths() -> None:
    assert normalize_codebase("v2025_1") == "v2025_1/"
    assert normalize_codebase("/v4_6_release/") == "v4_6_release/"
    for bad in ("", "/", "../x", "a b", "v1?x"):
        with pytest.raises(ValueError):
            normalize_codebase(bad)
    assert clean_path("/company/companies/5") == "company/companies/5"
    for bad in ("", "https://evil.example/x", "company/../system", "a?b=1", "a//b", "a b", "a#b"):
        with pytest.raises(ValueError):
            clean_path(bad)
    assert record_id(5) == 5
    for bad in (0, -1, True, "5", 1.0):
        with pytest.raises(ValueError):
            record_id(bad)  # type: ignore[arg-type]


def test_config_repr_hides_keys_and_missing_settings_refuse_to_build() -> None:
    config = ClientConfig(
        site="api-na.myconnectwise.net",
        company_id="acme",
        public_key="PUBLICKEY123",
        private_key="PRIVATEKEY456",
        client_id="cid",
    )
    for text in (repr(config), str(config), f"{config}"):
        assert "PRIVATEKEY456" not in text and "PUBLICKEY123" not in text
    assert config.missing == []
    with pytest.raises(ConnectWiseNotConfigured) as info:
        ConnectWiseClient(ClientConfig(site="api-na.myconnectwise.net", company_id="acme"))
    assert info.value.status == 503
    assert "public_key" in info.value.message and "private_key" in info.value.message


def test_config_from_settings_object_or_mapping() -> None:
    class Settings:
        site = "api-na.myconnectwise.net"
        company_id = "acme"
        public_key = "p"
        private_key = "q"
        client_id = "c"
        unrelated = 1

    config = ClientConfig.from_settings(Settings(), timeout=3.0)
    assert (config.site, config.company_id, config.timeout) == ("api-na.myconnectwise.net", "acme", 3.0)
    mapped = ClientConfig.from_settings({"site": "h.example", "codebase": "v1/", "extra": True})
    assert (mapped.site, mapped.codebase, mapped.missing[0]) == ("h.example", "v1/", "company_id")


# -- models ---------------------------------------------------------------------------------------


def test_models_are_lenient_and_map_info() -> None:
    raw = (
        b'{"id": 250, "identifier": "jroberts", "firstName": "John", "officeEmail": "j@x", '
        b'"inactiveFlag": false, "brandNewField": {"a": 1}, '
        b'"_info": {"lastUpdated": "2026-02-20T18:04:26Z", "updatedBy": "x", "member_href": "https://h"}}'
    )
    member = msgspec.json.decode(raw, type=Member)
    assert member.id == 250 and member.last_name is None
    assert member.full_name == "John"
    assert member.info is not None and member.info.last_updated == datetime(2026, 2, 20, 18, 4, 26, tzinfo=UTC)
    assert msgspec.json.decode(b"{}", type=Company) == Company()


def test_models_encode_only_what_was_set() -> None:
    body = Opportunity(name="Deal", company=Reference(id=250), customer_po="PO-1")
    assert msgspec.json.decode(msgspec.json.encode(body)) == {
        "name": "Deal",
        "company": {"id": 250},
        "customerPO": "PO-1",
    }


def test_contact_communication_items() -> None:
    contact = msgspec.json.decode(
        b'{"communicationItems": [{"value": "a@x", "communicationType": "Email"},'
        b'{"value": "b@x", "communicationType": "Email", "defaultFlag": true},'
        b'{"value": "555", "communicationType": "Phone"}]}',
        type=Contact,
    )
    assert (contact.email, contact.phone) == ("b@x", "555")


def test_patch_ops() -> None:
    ops = replace(name="X", site=None, company=Reference(id=250))
    assert msgspec.json.decode(msgspec.json.encode(ops)) == [
        {"op": "replace", "path": "name", "value": "X"},
        {"op": "replace", "path": "site", "value": None},
        {"op": "replace", "path": "company", "value": {"id": 250}},
    ]
    assert msgspec.json.encode(PatchOp("remove", "notes")) == b'{"op":"remove","path":"notes"}'
    assert replace({"customerPO": "1"})[0].path == "customerPO"
    for bad in ({"company/id": 250}, {"": 1}):
        with pytest.raises(ValueError):
            replace(bad)
    with pytest.raises(ValueError):
        replace()


def test_callback_delivery_entity_is_a_json_string() -> None:
    delivery = msgspec.json.decode(
        b'{"ID": 12, "Action": "updated", "Type": "company", "MemberId": "jroberts",'
        b' "Entity": "{\\"id\\": 12, \\"name\\": \\"Acme\\"}"}',
        type=CallbackDelivery,
    )
    assert (delivery.id, delivery.action, delivery.type) == (12, "updated", "company")
    assert delivery.entity_dict() == {"id": 12, "name": "Acme"}
    assert CallbackDelivery(entity="not json").entity_dict() is None
