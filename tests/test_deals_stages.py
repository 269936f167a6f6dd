"""Stage ladders: detection, positions, phases, won/lost words, unknown and blank stages."""

import pandas as pd
import pytest

from pipeaudit.config import Config, CustomLadder
from pipeaudit.deals.stages import LADDERS, classify_stages, detect_ladder, stage_key
from pipeaudit.errors import ConfigError


def obj(values):
    return pd.Series(values, dtype=object)


def one(value, ladder):
    row = classify_stages(obj([value]), LADDERS[ladder] if ladder else None).iloc[0]
    return row["status"], row["stage_rank"], row["phase"], row["stage_known"]


@pytest.mark.parametrize(
    "value, rank, phase",
    [
        ("E确认商机", 0, 1), ("E 确认商机", 0, 1), ("E阶段", 0, 1), ("确认商机", 0, 1),
        ("D阶段-进程确定", 1, 2), ("C阶段", 2, 3), ("C-方案论证", 2, 3),
        ("B阶段-商务谈判", 3, 4), ("B-商务谈判", 3, 4), ("B阶段", 3, 4), ("商务谈判", 3, 4), ("b", 3, 4),
        ("Ｂ阶段－商务谈判", 3, 4), ("A 销售成交", 4, 5), ("A阶段", 4, 5), ("4. B阶段", 3, 4),
    ],
)
def test_edcba_positions(value, rank, phase):
    assert one(value, "edcba") == ("open", rank, phase, True)


@pytest.mark.parametrize(
    "ladder, value, rank, phase",
    [
        ("t6", "信息", 0, 1), ("t6", "初访", 1, 2), ("t6", "演示", 2, 3), ("t6", "商务", 3, 4), ("t6", "2-初访", 1, 2),
        ("salesforce", "Prospecting", 0, 1), ("salesforce", "Qualification", 1, 2),
        ("salesforce", "Needs Analysis", 2, 2), ("salesforce", "Value Proposition", 3, 3),
        ("salesforce", "Id. Decision Makers", 4, 3), ("salesforce", "Perception Analysis", 5, 3),
        ("salesforce", "Proposal/Price Quote", 6, 4), ("salesforce", "negotiation/review", 7, 4),
        ("hubspot", "Appointment Scheduled", 0, 1), ("hubspot", "qualifiedtobuy", 1, 2),
        ("hubspot", "Presentation Scheduled", 2, 3), ("hubspot", "Decision Maker Bought-In", 3, 4),
        ("hubspot", "Contract Sent", 4, 5),
    ],
)
def test_other_ladders(ladder, value, rank, phase):
    assert one(value, ladder) == ("open", rank, phase, True)


@pytest.mark.parametrize("ladder", [None, *sorted(LADDERS)])
@pytest.mark.parametrize(
    "value, status",
    [("Closed Won", "won"), ("closed lost", "lost"), ("赢单", "won"), ("输单", "lost"), ("签约", "won"),
     ("丢单", "lost"), ("成交", "won"), ("失败", "lost"), ("Won", "won"), ("Lost", "lost")],
)
def test_won_lost_words_on_every_ladder(ladder, value, status):
    got = one(value, ladder)
    assert got[0] == status  # (was `a and b is True or b == True`: any known stage passed, won or lost)
    assert bool(got[3]) is True
    assert pd.isna(got[1]) and pd.isna(got[2])


def test_unknown_and_blank_stages():
    frame = classify_stages(obj(["Z阶段", None, "", "B阶段"]), LADDERS["edcba"])
    assert frame["status"].tolist() == ["open", "open", "open", "open"]
    assert frame["stage_known"].tolist() == [False, True, True, True]
    assert frame["stage_rank"].isna().tolist() == [True, True, True, False]


def test_meta_dtypes():
    frame = classify_stages(obj(["B阶段", "赢单", None]), LADDERS["edcba"])
    assert frame["status"].dtype == object
    assert str(frame["stage_rank"].dtype) == "Int64" and str(frame["phase"].dtype) == "Int64"
    assert frame["stage_known"].dtype == bool


def test_stage_letters_are_not_deal_classes():
    # "A阶段" is the closing stage of EDCBA, not an A-class deal: it stays open at phase 5
    assert one("A阶段", "edcba") == ("open", 4, 5, True)
    assert one("A类", "edcba")[3] == False  # noqa: E712 - a class spelling is no stage


@pytest.mark.parametrize(
    "values, name",
    [
        (["E确认商机", "B阶段-商务谈判", "C阶段", "赢单", "赢单", "赢单"], "edcba"),
        (["信息", "初访", "演示", "商务", "签约"], "t6"),
        (["Prospecting", "Negotiation/Review", "Closed Won", "Closed Won"], "salesforce"),
        (["Appointment Scheduled", "Contract Sent", "Closed Lost"], "hubspot"),
        (["Closed Won", "Closed Lost"], None),
        ([None, ""], None),
    ],
)
def test_detect_ladder(values, name):
    got = detect_ladder(obj(values), Config())
    assert (got.name if got else None) == name


def test_custom_ladder_from_config_detected_and_forced():
    cfg = Config(ladders={"mine": CustomLadder("mine", ("线索", "方案", "谈判"), ("lead", "solution", "negotiation"), ("签了",), ("黄了",))})
    values = obj(["线索", "方案", "谈判", "签了", "黄了"])
    ladder = detect_ladder(values, cfg)
    assert ladder.name == "mine" and ladder.phases == (1, 3, 4)
    frame = classify_stages(values, ladder)
    assert frame["status"].tolist() == ["open", "open", "open", "won", "lost"]
    assert frame["phase"].tolist()[:3] == [1, 3, 4]
    cfg.ladder = "t6"
    assert detect_ladder(values, cfg).name == "t6"


def test_forcing_an_unknown_ladder_is_a_config_error():
    with pytest.raises(ConfigError, match="edcba"):
        detect_ladder(obj(["x"]), Config(ladder="edcab"))


def test_stage_key():
    assert stage_key("Ｂ阶段－商务谈判") == stage_key("b-商务谈判") == "b商务谈判"
    assert stage_key("Proposal/Price Quote") == "proposalpricequote"
    assert stage_key("01 信息") == "信息"


def test_trailing_notes_in_brackets():
    assert one("Appointment Scheduled (Sales Pipeline)", "hubspot") == ("open", 0, 1, True)
    assert one("Closed Won (Sales Pipeline)", "hubspot")[0] == "won"
    assert one("Prospecting (10%)", "salesforce") == ("open", 0, 1, True)
    assert one("B阶段（商务谈判）", "edcba") == ("open", 3, 4, True)
    values = obj(["Appointment Scheduled (Sales Pipeline)", "Contract Sent (Sales Pipeline)"])
    assert detect_ladder(values, Config()).name == "hubspot"
