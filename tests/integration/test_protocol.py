"""Wire-protocol details that broke other PostgreSQL-wire servers (DESIGN.md), over raw sockets."""

from __future__ import annotations

import socket
import struct
import time

import pytest

from . import pgwire_client as pw
from .pgwire_client import ConnectionClosed, PGWire

INT4, INT8, TEXT, VARCHAR, BOOL = 23, 20, 25, 1043, 16


@pytest.fixture
def wire(omendb_server):
    c = pw.connect(omendb_server, application_name="omendb-protocol-test")
    yield c
    c.close()


@pytest.fixture
def five_rows(omendb_server, table_name):
    """A committed table with ids 1..5 and names 'n1'..'n5'."""
    with pw.connect(omendb_server) as c:
        msgs = c.simple(
            f"CREATE TABLE {table_name} (id int4 PRIMARY KEY, name text NOT NULL);"
            f"INSERT INTO {table_name} VALUES (1,'n1'),(2,'n2'),(3,'n3'),(4,'n4'),(5,'n5')"
        )
        assert [m.type for m in msgs] == ["C", "C", "Z"], msgs
    return table_name


def test_startup_parameters_and_backend_key(wire):
    p = wire.parameters
    assert p["server_version"].startswith("15."), p
    assert p["server_encoding"] == "UTF8"
    assert p["client_encoding"] == "UTF8"
    assert p["DateStyle"] == "ISO, MDY"
    assert p["integer_datetimes"] == "on"
    assert p["standard_conforming_strings"] == "on"
    assert p.get("TimeZone")
    assert p["application_name"] == "omendb-protocol-test"
    assert wire.backend_key is not None


def test_ssl_request_answered_n_then_startup_continues(omendb_server):
    with PGWire(omendb_server.host, omendb_server.port) as c:
        assert c.ssl_request() == b"N"
        assert c.startup(omendb_server.user, omendb_server.password, omendb_server.dbname) is None
        msgs = c.simple("SELECT 6 * 7")
        assert [m.type for m in msgs] == ["T", "D", "C", "Z"]
        assert msgs[1].text_row() == ["42"]
        assert msgs[2].tag() == "SELECT 1"


def test_simple_query_with_several_statements(wire, table_name):
    msgs = wire.simple(
        f"CREATE TABLE {table_name} (id int4 PRIMARY KEY, v text); "
        f"INSERT INTO {table_name} VALUES (1, 'a'), (2, 'b'); "
        f"SELECT v FROM {table_name} ORDER BY id DESC"
    )
    assert [m.type for m in msgs] == ["C", "C", "T", "D", "D", "C", "Z"], msgs
    assert msgs[0].tag() == "CREATE TABLE"
    assert msgs[1].tag() == "INSERT 0 2"
    assert [m.text_row() for m in msgs[3:5]] == [["b"], ["a"]]
    assert msgs[5].tag() == "SELECT 2"
    assert msgs[6].status() == "I"


def test_empty_query(wire):
    assert [m.type for m in wire.simple("")] == ["I", "Z"]


def test_describe_statement_parameter_description_then_row_description(wire):
    wire.send(pw.parse("s_rows", "SELECT $1::int4 + 1 AS x, $2::text AS y", []), pw.describe("S", "s_rows"), pw.sync())
    msgs = wire.read_until("Z")
    assert [m.type for m in msgs] == ["1", "t", "T", "Z"], msgs
    assert msgs[1].param_oids() == [INT4, TEXT]
    cols = msgs[2].columns()
    assert [(c["name"], c["oid"]) for c in cols] == [("x", INT4), ("y", TEXT)]
    assert all(c["format"] == 0 for c in cols)  # statement Describe: formats not yet known → text


def test_describe_statement_infers_parameter_types_from_columns(wire, five_rows):
    wire.send(
        pw.parse("s_ins", f"INSERT INTO {five_rows} (id, name) VALUES ($1, $2)"),
        pw.describe("S", "s_ins"),
        pw.sync(),
    )
    msgs = wire.read_until("Z")
    assert [m.type for m in msgs] == ["1", "t", "n", "Z"], msgs  # INSERT returns no rows → NoData
    assert msgs[1].param_oids() == [INT4, TEXT]


def test_describe_statement_without_rows_is_nodata(wire, table_name):
    wire.send(pw.parse("s_ddl", f"CREATE TABLE {table_name} (id int8)"), pw.describe("S", "s_ddl"), pw.sync())
    assert wire.read_types() == "1tnZ"


def test_describe_portal_reflects_result_formats(wire):
    wire.send(
        pw.parse("", "SELECT 7::int4 AS a, 'x'::text AS b"),
        pw.bind("", "", result_formats=[1, 0]),
        pw.describe("P", ""),
        pw.execute("", 0),
        pw.sync(),
    )
    msgs = wire.read_until("Z")
    assert [m.type for m in msgs] == ["1", "2", "T", "D", "C", "Z"], msgs
    cols = msgs[2].columns()
    assert [(c["name"], c["oid"], c["format"]) for c in cols] == [("a", INT4, 1), ("b", TEXT, 0)]
    assert msgs[3].row() == [struct.pack("!i", 7), b"x"]
    assert msgs[4].tag() == "SELECT 1"


def test_execute_never_sends_row_description(wire):
    wire.send(pw.parse("", "SELECT 1 AS a"), pw.bind("", ""), pw.execute(""), pw.sync())
    msgs = wire.read_until("Z")
    assert [m.type for m in msgs] == ["1", "2", "D", "C", "Z"], msgs
    assert msgs[2].text_row() == ["1"]


def test_binary_parameters_and_results(wire):
    wire.send(
        pw.parse("", "SELECT $1::int8 * 2 AS d", [INT8]),
        pw.bind("", "", [struct.pack("!q", 2**40)], param_formats=[1], result_formats=[1]),
        pw.execute(""),
        pw.sync(),
    )
    msgs = wire.read_until("Z")
    assert [m.type for m in msgs] == ["1", "2", "D", "C", "Z"], msgs
    assert msgs[2].row() == [struct.pack("!q", 2**41)]


def test_ready_for_query_only_after_sync(wire):
    wire.send(pw.parse("", "SELECT 2 AS b"), pw.bind("", ""), pw.execute(""), pw.flush())
    msgs = [wire.read() for _ in range(4)]
    assert [m.type for m in msgs] == ["1", "2", "D", "C"], msgs
    assert wire.nothing_pending(0.5), "server sent something (ReadyForQuery?) before Sync"
    wire.send(pw.sync())
    assert wire.read_types() == "Z"


def test_error_discards_messages_until_sync(wire):
    wire.send(
        pw.parse("", "SELECT 1 AS ok"),
        pw.bind("", ""),
        pw.execute(""),
        pw.parse("bad", "SELEC nonsense"),
        pw.bind("", "bad"),
        pw.execute(""),
        pw.parse("", "SELECT 3 AS skipped"),
        pw.bind("", ""),
        pw.execute(""),
        pw.sync(),
    )
    msgs = wire.read_until("Z")
    assert [m.type for m in msgs] == ["1", "2", "D", "C", "E", "Z"], msgs
    assert msgs[4].sqlstate == "42601"
    assert msgs[5].status() == "I"
    # The connection is fine after Sync, and the failed statement was never created.
    wire.send(pw.bind("", "bad"), pw.execute(""), pw.sync())
    msgs = wire.read_until("Z")
    assert [m.type for m in msgs] == ["E", "Z"]
    assert msgs[0].sqlstate == "26000"  # invalid_sql_statement_name
    wire.send(pw.parse("", "SELECT 4 AS after"), pw.bind("", ""), pw.execute(""), pw.sync())
    msgs = wire.read_until("Z")
    assert [m.type for m in msgs] == ["1", "2", "D", "C", "Z"]
    assert msgs[2].text_row() == ["4"]


def test_error_in_transaction_block_then_25p02_until_rollback(wire):
    msgs = wire.simple("BEGIN")
    assert msgs[-1].status() == "T"
    wire.send(pw.parse("", "SELEC 1"), pw.bind("", ""), pw.execute(""), pw.sync())
    msgs = wire.read_until("Z")
    assert [m.type for m in msgs] == ["E", "Z"]
    assert msgs[0].sqlstate == "42601"
    assert msgs[1].status() == "E"
    wire.send(pw.parse("", "SELECT 1"), pw.bind("", ""), pw.execute(""), pw.sync())
    msgs = wire.read_until("Z")
    assert msgs[0].type == "E" and msgs[0].sqlstate == "25P02", msgs
    assert msgs[-1].status() == "E"
    msgs = wire.simple("ROLLBACK")
    assert msgs[0].tag() == "ROLLBACK"
    assert msgs[-1].status() == "I"
    msgs = wire.simple("SELECT 5")
    assert msgs[1].text_row() == ["5"]


def test_portal_row_limit_portal_suspended(wire, five_rows):
    wire.send(
        pw.parse("", f"SELECT id, name FROM {five_rows} ORDER BY id"),
        pw.bind("", ""),
        pw.execute("", 2),
        pw.execute("", 2),
        pw.execute("", 0),
        pw.sync(),
    )
    msgs = wire.read_until("Z")
    assert "".join(m.type for m in msgs) == "12DDsDDsDCZ", msgs
    rows = [m.text_row() for m in msgs if m.type == "D"]
    assert rows == [["1", "n1"], ["2", "n2"], ["3", "n3"], ["4", "n4"], ["5", "n5"]]
    assert msgs[-2].tag() == "SELECT 1"


def test_two_named_portals_open_at_once(wire, five_rows):
    wire.simple("BEGIN")
    wire.send(
        pw.parse("two", f"SELECT id FROM {five_rows} WHERE id >= $1 ORDER BY id", [INT4]),
        pw.bind("p1", "two", ["1"]),
        pw.bind("p2", "two", ["3"]),
        pw.execute("p1", 1),
        pw.execute("p2", 1),
        pw.sync(),
    )
    msgs = wire.read_until("Z")
    assert "".join(m.type for m in msgs) == "122DsDsZ", msgs
    assert [m.text_row() for m in msgs if m.type == "D"] == [["1"], ["3"]]
    assert msgs[-1].status() == "T"
    # Both portals survive Sync inside the transaction block and resume where they stopped.
    wire.send(pw.execute("p2", 0), pw.execute("p1", 2), pw.close("P", "p1"), pw.execute("p1", 0), pw.sync())
    msgs = wire.read_until("Z")
    assert "".join(m.type for m in msgs) == "DDCDDs3EZ", msgs
    assert [m.text_row() for m in msgs if m.type == "D"] == [["4"], ["5"], ["2"], ["3"]]
    assert msgs[2].tag() == "SELECT 2"
    assert msgs[7].sqlstate == "34000"  # p1 was closed: invalid_cursor_name
    wire.simple("ROLLBACK")


def test_unnamed_statement_survives_sync(wire):
    wire.send(pw.parse("", "SELECT $1::int4 * 2 AS doubled", [INT4]), pw.sync())
    assert wire.read_types() == "1Z"
    wire.send(pw.bind("", "", ["21"]), pw.execute(""), pw.sync())
    msgs = wire.read_until("Z")
    assert [m.type for m in msgs] == ["2", "D", "C", "Z"], msgs
    assert msgs[1].text_row() == ["42"]
    # ...and is replaced by the next unnamed Parse.
    wire.send(pw.parse("", "SELECT 'replaced' AS r"), pw.bind("", ""), pw.execute(""), pw.sync())
    msgs = wire.read_until("Z")
    assert msgs[2].text_row() == ["replaced"]


def test_named_statement_reuse_and_close(wire):
    wire.send(pw.parse("sq", "SELECT $1::int4 * $1::int4 AS sq", [INT4]), pw.sync())
    assert wire.read_types() == "1Z"
    for n in (3, 12):
        wire.send(pw.bind("", "sq", [str(n)]), pw.execute(""), pw.sync())
        msgs = wire.read_until("Z")
        assert msgs[1].text_row() == [str(n * n)]
    wire.send(pw.close("S", "sq"), pw.bind("", "sq", ["2"]), pw.execute(""), pw.sync())
    msgs = wire.read_until("Z")
    assert [m.type for m in msgs] == ["3", "E", "Z"], msgs
    assert msgs[1].sqlstate == "26000"


def _server_rss_kb(server) -> int | None:
    pid = getattr(server, "pid", None)
    if not pid:
        return None
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _assert_still_serving(omendb_server, bystander: PGWire):
    msgs = bystander.simple("SELECT 40 + 2")
    assert msgs[1].text_row() == ["42"]
    with pw.connect(omendb_server) as c:
        assert c.simple("SELECT 'new'")[1].text_row() == ["new"]


def _assert_closed_with_protocol_error(c: PGWire):
    msgs = c.wait_closed(timeout=10)
    errors = [m for m in msgs if m.type == "E"]
    for e in errors:  # an ErrorResponse is optional, but if sent it must say protocol violation
        assert e.sqlstate == "08P01", e.fields()


def test_garbage_message_type_closes_only_that_connection(omendb_server, wire):
    bystander = pw.connect(omendb_server)
    try:
        wire.send(b"\xff" + struct.pack("!i", 8) + b"junk")
        _assert_closed_with_protocol_error(wire)
        _assert_still_serving(omendb_server, bystander)
    finally:
        bystander.close()


def test_bad_message_length_closes_only_that_connection(omendb_server, wire):
    bystander = pw.connect(omendb_server)
    try:
        wire.send(b"Q" + struct.pack("!i", 2))  # length smaller than the length field itself
        _assert_closed_with_protocol_error(wire)
        _assert_still_serving(omendb_server, bystander)
    finally:
        bystander.close()


def test_huge_claimed_length_rejected_without_allocating(omendb_server, wire):
    bystander = pw.connect(omendb_server)
    try:
        rss_before = _server_rss_kb(omendb_server)
        # Claims 2 GiB but sends a few bytes: the server must refuse at once, not wait or allocate.
        start = time.monotonic()
        wire.send(b"Q" + struct.pack("!i", 2**31 - 1) + b"SELECT 1\0")
        _assert_closed_with_protocol_error(wire)
        assert time.monotonic() - start < 10
        rss_after = _server_rss_kb(omendb_server)
        if rss_before is not None and rss_after is not None:
            assert rss_after - rss_before < 256 * 1024, (rss_before, rss_after)
        _assert_still_serving(omendb_server, bystander)
    finally:
        bystander.close()


def test_huge_startup_packet_rejected(omendb_server):
    bystander = pw.connect(omendb_server)
    try:
        with socket.create_connection((omendb_server.host, omendb_server.port), timeout=10) as s:
            s.sendall(struct.pack("!ii", 2**31 - 1, pw.PROTOCOL_VERSION) + b"user\0omendb\0")
            s.settimeout(10)
            try:
                while s.recv(65536):
                    pass
            except ConnectionResetError:
                pass
        _assert_still_serving(omendb_server, bystander)
    finally:
        bystander.close()


def test_garbage_before_startup_closes_connection(omendb_server):
    with socket.create_connection((omendb_server.host, omendb_server.port), timeout=10) as s:
        # A well-framed startup packet with a protocol version that does not exist.
        s.sendall(struct.pack("!ii", 12, 0x12345678) + b"junk")
        s.settimeout(10)
        try:
            while s.recv(65536):
                pass
        except ConnectionResetError:
            pass
    with pw.connect(omendb_server) as c:
        assert c.simple("SELECT 1")[1].text_row() == ["1"]


def test_terminate_closes_cleanly(omendb_server):
    c = pw.connect(omendb_server)
    c.send(pw.terminate())
    assert c.wait_closed(timeout=10) == []
    with pytest.raises(ConnectionClosed):
        c.read()


def test_prepared_bind_execute_sync_in_one_packet(omendb_server, table_name):
    """The one-step path for B [D] E S of a prepared read-only statement must answer
    exactly like the general path, errors included."""
    with omendb_server.connect(autocommit=True) as setup:
        setup.execute(f"CREATE TABLE {table_name} (id int PRIMARY KEY, v text)")
        setup.execute(f"INSERT INTO {table_name} VALUES (1, 'one'), (2, 'two')")
    wire = pw.connect(omendb_server)
    try:
        wire.send(pw.parse("fast", f"SELECT v FROM {table_name} WHERE id = $1", [23]), pw.sync())
        assert "".join(m.type for m in wire.read_until("Z")) == "1Z"
        for with_describe in (False, True):
            msgs = [pw.bind("", "fast", [b"2"])]
            if with_describe:
                msgs.append(pw.describe("P", ""))
            msgs += [pw.execute("", 0), pw.sync()]
            wire.send(*msgs)
            got = wire.read_until("Z")
            assert "".join(m.type for m in got) == ("2TDCZ" if with_describe else "2DCZ")
            assert [m.text_row() for m in got if m.type == "D"] == [["two"]]
            assert [m.tag() for m in got if m.type == "C"] == ["SELECT 1"]
        # a parameter that is not an integer: error, then ReadyForQuery, session still fine
        wire.send(pw.bind("", "fast", [b"abc"]), pw.execute("", 0), pw.sync())
        got = wire.read_until("Z")
        assert "".join(m.type for m in got) == "EZ"
        assert got[0].sqlstate == "22P02"
        wire.send(pw.bind("", "fast", [b"1"]), pw.execute("", 0), pw.sync())
        assert [m.text_row() for m in wire.read_until("Z") if m.type == "D"] == [["one"]]
    finally:
        wire.close()


def test_bind_with_wrong_counts_is_an_error_not_a_disconnect(omendb_server):
    """PostgreSQL answers a Bind with the wrong number of parameters or result formats
    with an ERROR (08P01) and keeps the session, as exec_bind_message does."""
    wire = pw.connect(omendb_server)
    try:
        wire.send(pw.parse("two", "SELECT $1::int + $2::int, 1", [23, 23]), pw.sync())
        assert "".join(m.type for m in wire.read_until("Z")) == "1Z"
        wire.send(pw.bind("", "two", [b"1"]), pw.execute("", 0), pw.sync())
        got = wire.read_until("Z")
        assert "".join(m.type for m in got) == "EZ"
        assert (got[0].sqlstate, got[0].fields()["M"]) == (
            "08P01", 'bind message supplies 1 parameters, but prepared statement "two" requires 2')
        wire.send(pw.bind("", "two", [b"1", b"2"], result_formats=[0, 0, 0]),
                  pw.execute("", 0), pw.sync())
        got = wire.read_until("Z")
        assert (got[0].sqlstate, got[0].fields()["M"]) == (
            "08P01", "bind message has 3 result formats but query has 2 columns")
        wire.send(pw.bind("", "two", [b"1", b"2"]), pw.execute("", 0), pw.sync())
        assert [m.text_row() for m in wire.read_until("Z") if m.type == "D"] == [["3", "1"]]
    finally:
        wire.close()


def test_unnamed_parse_bind_execute_sync_in_one_packet(omendb_server, table_name):
    with omendb_server.connect(autocommit=True) as setup:
        setup.execute(f"CREATE TABLE {table_name} (id int PRIMARY KEY, v text)")
        setup.execute(f"INSERT INTO {table_name} VALUES (1, 'one')")
    wire = pw.connect(omendb_server)
    try:
        sql = f"SELECT v FROM {table_name} WHERE id = $1"
        wire.send(pw.parse("", sql), pw.bind("", "", ["1"]), pw.describe("P", ""),
                  pw.execute("", 0), pw.sync())
        got = wire.read_until("Z")
        assert "".join(m.type for m in got) == "12TDCZ"
        # a failing Parse: the rest of the batch is skipped until Sync
        wire.send(pw.parse("", "SELEC 1"), pw.bind("", "", []), pw.execute("", 0), pw.sync())
        got = wire.read_until("Z")
        assert "".join(m.type for m in got) == "EZ"
        assert got[0].sqlstate == "42601"
        assert got[-1].status() == "I"
    finally:
        wire.close()
