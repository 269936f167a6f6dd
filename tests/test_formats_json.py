"""JSON output contract: the documented shape, exact values, and the fast encoder matching orjson."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeaudit.formats import json as json_format
from pipeaudit.formats import render
from pipeaudit.model import FINDING_COLUMNS
from test_formats_fixtures import big_findings, make_result

KEYS = ["rule", "severity", "row", "deal_id", "deal", "owner", "stage", "message", "question"]


def _render(result) -> dict:
    buf = io.StringIO()
    render(result, "json", buf)
    return json.loads(buf.getvalue())


def test_top_level_shape_and_types():
    doc = _render(make_result())
    assert doc["source"] == "exports/crm,Q4:zh.xlsx"
    assert doc["sheet"] == "商机"
    assert doc["as_of"] == "2026-11-23"
    assert doc["lang"] == "en" and doc["ladder"] == "edcba"
    assert isinstance(doc["findings"], list) and len(doc["findings"]) == 6
    for f in doc["findings"]:
        assert list(f) == KEYS
        assert f["row"] is None or type(f["row"]) is int
        assert f["severity"] in ("error", "warning", "info")
    assert doc["muted"] == 1
    assert doc["skipped_rules"] == [{"rule": "a-deal-overdue", "missing": ["class_since"]}]
    assert "skipped a-deal-overdue: the export has no class_since column (--history can derive it)" in doc["notes"]
    assert "changes" not in doc


def test_summary_numbers():
    s = _render(make_result())["summary"]
    assert s["deals"] == 6 and s["open_deals"] == 4
    assert s["findings"] == {"error": 3, "warning": 2, "info": 1}
    zhang = s["by_owner"]["张三"]
    # amounts came from a 万元 column: 15万 + 8.00005万, both open
    assert zhang == {"deals": 2, "open_deals": 2, "open_amount": 230000.5, "error": 2, "warning": 1, "info": 0, "muted": 1}
    assert s["by_owner"]["李四"]["open_amount"] == 0  # the open deal has no amount, the won one is not open
    assert s["by_owner"]["李四"]["warning"] == 1  # the rep-level funnel-short counts for the rep
    assert s["by_owner"]["王五"] == {"deals": 1, "open_deals": 0, "open_amount": 0, "error": 0, "warning": 0, "info": 0, "muted": 0}
    assert s["by_owner"][""]["error"] == 1  # the deal without owner
    for entry in s["by_owner"].values():
        assert all(type(entry[k]) is int for k in ("deals", "open_deals", "error", "warning", "info"))
        assert isinstance(entry["open_amount"], (int, float))


def test_rep_level_finding_has_null_row_and_comes_first_for_its_rep():
    doc = _render(make_result())
    li = [f for f in doc["findings"] if f["owner"] == "李四"]
    assert li[0]["rule"] == "funnel-short" and li[0]["row"] is None and li[0]["deal_id"] is None
    assert doc["findings"][-1]["owner"] is None  # the blank owner comes last


def test_no_amount_column_gives_zero_open_amount():
    result = make_result()
    result.deals.frame = result.deals.frame.drop(columns=["amount"])
    s = _render(result)["summary"]
    assert s["by_owner"]["张三"]["open_amount"] == 0


def test_empty_findings_and_extras_with_numpy_values():
    result = make_result(findings=pd.DataFrame(columns=list(FINDING_COLUMNS)))
    result.extras["changes"] = {"new": np.int64(3), "amount": np.float64("nan"), "when": pd.Timestamp("2026-11-16")}
    doc = _render(result)
    assert doc["findings"] == []
    assert doc["summary"]["findings"] == {"error": 0, "warning": 0, "info": 0}
    assert doc["changes"] == {"new": 3, "amount": None, "when": "2026-11-16T00:00:00"}


def test_written_through_a_binary_buffer(tmp_path):
    from pipeaudit.outputs import atomic_writer

    target = tmp_path / "out.json"
    with atomic_writer(target) as fh:
        render(make_result(), "json", fh)
    buf = io.StringIO()
    render(make_result(), "json", buf)
    assert target.read_text(encoding="utf-8") == buf.getvalue()



def test_binary_writes_are_cut_into_pieces_that_join_to_the_same_bytes():
    class Recorder(io.StringIO):
        encoding = "utf-8"

        def __init__(self):
            super().__init__()
            self.buffer = self
            self.pieces: list[bytes] = []

        def write(self, data):  # the byte writer hands memoryviews to buffer.write
            self.pieces.append(bytes(data))
            return len(data)

    data = bytes(range(256)) * (json_format.WRITE_BYTES // 256 * 3 + 5)  # 3 whole pieces and a bit
    rec = Recorder()
    put = json_format._byte_writer(rec)
    put(data)
    put(memoryview(data)[7:11])
    put(b"")
    assert b"".join(rec.pieces) == data + data[7:11]
    assert max(len(p) for p in rec.pieces) == json_format.WRITE_BYTES
    assert [len(p) for p in rec.pieces[:4]] == [json_format.WRITE_BYTES] * 3 + [len(data) - 3 * json_format.WRITE_BYTES]


def test_many_findings_written_to_a_file_equal_the_text_stream(tmp_path):
    from pipeaudit.outputs import atomic_writer

    result = make_result(findings=big_findings(json_format.CHUNK * 2 + 7))
    target = tmp_path / "out.json"
    with atomic_writer(target) as fh:
        render(result, "json", fh)
    buf = io.StringIO()
    render(result, "json", buf)
    assert target.stat().st_size > 2 * json_format.WRITE_BYTES  # written in several pieces
    assert target.read_text(encoding="utf-8") == buf.getvalue()

text = st.one_of(st.none(), st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(text, text, text, st.one_of(st.none(), st.integers(1, 10**6))), min_size=1, max_size=8))
def test_arrow_encoder_equals_orjson_reference(rows):
    frame = pd.DataFrame(
        {
            "rule": "r",
            "severity": "error",
            "row": pd.array([r[3] for r in rows], dtype="Int64"),
            "deal_id": [r[0] for r in rows],
            "deal": [r[1] for r in rows],
            "owner": "A",
            "stage": None,
            "message": [r[2] for r in rows],
            "question": "?",
            "deal_index": pd.array(range(len(rows)), dtype="Int64"),
        }
    )
    fast = b",".join(bytes(c) for c in json_format._arrow_chunks(frame))
    slow = b",".join(json_format._orjson_chunks(frame))
    assert json.loads(b"[" + fast + b"]") == json.loads(b"[" + slow + b"]")
    decoded = json.loads(b"[" + fast + b"]")
    from pipeaudit.findings import ordered

    expected = ordered(frame)["deal"].astype(object).where(ordered(frame)["deal"].notna(), None).tolist()
    assert [d["deal"] for d in decoded] == expected


def test_many_findings_stream_in_chunks():
    result = make_result(findings=big_findings(json_format.CHUNK * 2 + 7))
    doc = _render(result)
    assert len(doc["findings"]) == json_format.CHUNK * 2 + 7
    assert sum(doc["summary"]["findings"].values()) == len(doc["findings"])


def _hard_findings(n: int) -> pd.DataFrame:
    """big_findings with values JSON must escape, missing values, and deals repeated in neighbours."""
    frame = big_findings(n)
    i = np.arange(n)
    odd = np.array(['say "hi"', "back\\slash", "tab\there\n", "bidi\u202eX", "项目\u2028行", "\x85c1", "plain"],
                   dtype=object)
    deal = np.array([f"{odd[k % 7]} {k // 2}" for k in range(n)], dtype=object)
    deal[i % 13 == 0] = None
    frame["deal"] = deal
    frame["deal_id"] = np.array([None if k % 17 == 0 else f"D{k // 2}" for k in range(n)], dtype=object)
    frame["message"] = odd[(i // 5) % 7]
    return frame


def test_chunk_by_chunk_encoding_gives_the_same_bytes_as_tokens_made_up_front(monkeypatch):
    frame = _hard_findings(json_format.CHUNK * 2 + 7)
    outputs = {}
    for each in (False, True):
        monkeypatch.setattr(json_format, "_encode_per_chunk", lambda distinct, n, each=each: each)
        outputs[each] = b",".join(bytes(c) for c in json_format._arrow_chunks(frame))
    assert outputs[True] == outputs[False]
    slow = b",".join(json_format._orjson_chunks(frame))
    assert json.loads(b"[" + outputs[True] + b"]") == json.loads(b"[" + slow + b"]")


def test_columns_with_a_value_per_deal_are_encoded_per_chunk():
    n = json_format.CHUNK * 8
    assert json_format._encode_per_chunk(n // 2, n)  # deal, deal_id: a few findings per deal
    assert not json_format._encode_per_chunk(200, n)  # owners, rules, messages of a template
    assert not json_format._encode_per_chunk(json_format.CHUNK, json_format.CHUNK * 2)


def test_del_is_escaped_like_the_reference_even_alone_in_its_column():
    frame = big_findings(3)
    frame["deal"] = ["a\x7fb", "c", None]  # DEL (U+007F) and nothing else to escape in the column
    fast = b",".join(bytes(c) for c in json_format._arrow_chunks(frame))
    slow = b",".join(json_format._orjson_chunks(frame))
    assert b'"deal":"a\\u007fb"' in fast
    assert fast == slow


def test_an_arrow_encoder_that_fails_falls_back_to_the_reference_before_a_byte_is_written(monkeypatch):
    """_arrow_chunks is a generator: its columns are encoded on its first step, so that is where a
    failure must be caught, or the fallback could never run."""
    import pyarrow as pa

    result = make_result(findings=big_findings(50))
    expected = _render(result)

    def refuse(*args, **kwargs):
        raise pa.ArrowInvalid("an exotic column")

    monkeypatch.setattr(json_format, "_quoted", refuse)
    assert _render(result) == expected
