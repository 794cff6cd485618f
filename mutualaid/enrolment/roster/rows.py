"""Validating roster rows (one by one, values that repeat parsed once) and sealing them: ID and phone numbers
encrypted and each member rendered as its COPY text (pure CPU, no database: the reader process's work)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from operator import itemgetter

from mutualaid.enrolment import fields
from mutualaid.enrolment.roster.formats import text_of as _text
from mutualaid.enrolment.roster.writer import SealedRow
from mutualaid.enrolment.roster.writer import compared_text as _compared_text
from mutualaid.platform import crypto, idnumbers
from mutualaid.platform.crypto import mask_phone


@dataclass(slots=True)
class RowData:
    """A valid row: values parsed, the ID number normalised (its birth date and sex are read off it when sealed)."""

    line: int
    household_number: str
    village_id: int
    name: str
    id_number: str
    id_hash: str
    relation: str
    phone: str
    phone_hash: str
    insurance_type: str
    hardship: str  # as an array's text: "{dibao,tekun}", "{}" for none
    registered_on: date
    address: str


# The columns validate() reads, in the order it unpacks them.
_READ_ORDER = (
    "household_number", "village_code", "name", "id_number", "relation", "phone", "insurance_type", "hardship",
    "registered_on", "address",
)  # fmt: skip


class RowValidator:
    """Validates rows one by one. Values that repeat down a roster (relations, insurance types, categories,
    dates) are parsed once per import and cached."""

    def __init__(
        self, villages: dict[str, int], allowed_village: str | None, today: date, keys: list[str | None]
    ):
        self.villages, self.allowed_village, self.today = villages, allowed_village, today
        # A valid ID number's first 17 digits decide its check character: as an int they key the IDs already seen
        # in a third of the memory of the hash (the one part of reading that grows with the file).
        self.seen_ids: dict[int, int] = {}  # → first line
        self.household_villages: dict[str, str] = {}
        index = {key: i for i, key in enumerate(keys) if key}
        # A row is cut or padded to `width` cells plus one empty cell, which absent optional columns read.
        self._width = max(index.values(), default=-1) + 1
        self._padding = [None] * (self._width + 1)
        self._pick = itemgetter(*(index.get(key, self._width) for key in _READ_ORDER))
        # Parsed values by raw cell, for the cells that parse (failures go through _parsed each time).
        self._relations: dict = {}
        self._insurance_types: dict = {}
        self._hardships: dict = {}
        self._registered_dates: dict = {}
        self._hash = crypto.lookup_hasher()
        self._id_problem = idnumbers.ProblemFinder(today)
        self._parsers = {
            "relation": (fields.relation, self._relations),
            "insurance_type": (fields.insurance, self._insurance_types),
            "hardship": (lambda v: "{" + ",".join(sorted(fields.hardship(v))) + "}", self._hardships),
            "registered_on": (
                lambda v: fields.a_date(v, today=today, label="户籍登记日期"),
                self._registered_dates,
            ),
        }

    def _parsed(self, key: str, raw, problems: list[str]):
        """A cell parsed (and cached) or, when it does not parse, None with its problem added."""
        parse, cache = self._parsers[key]
        try:
            cache[raw] = result = parse(raw)  # cell values are str, numbers or dates: hashable
        except fields.FieldProblem as problem:
            problems.append(problem.message)
            return None
        return result

    def validate(self, line: int, values: list) -> RowData | str:
        row = list(values[: self._width])
        row += self._padding[len(row) :]
        (number, village_code, name, id_text, relation, phone, insurance, hardship, registered, address) = (
            self._pick(row)
        )
        # Cells are nearly always text: strip them here rather than in a call per cell.
        number = number.strip() if number.__class__ is str else _text(number)
        village_code = village_code.strip() if village_code.__class__ is str else _text(village_code)
        name = name.strip() if name.__class__ is str else _text(name)
        phone = phone.strip() if phone.__class__ is str else _text(phone)
        id_text = (id_text.strip() if id_text.__class__ is str else _text(id_text)).upper()
        problems: list[str] = []
        if not number:
            problems.append("请填写户号")
        elif len(number) > 32:
            problems.append("户号不超过 32 个字符")
        village_id = self.villages.get(village_code)
        if village_id is None:
            problems.append(f"村代码“{village_code[:20]}”不是本镇的村" if village_code else "请填写村代码")
        elif self.allowed_village and village_code != self.allowed_village:
            problems.append(f"只能导入本村（{self.allowed_village}）的成员")
        if not name:
            problems.append("请填写姓名")
        elif len(name) > 64:
            problems.append("姓名过长（不超过 64 个字符）")
        address = address.strip() if address.__class__ is str else _text(address)
        if len(address) > 200:
            problems.append("住址过长（不超过 200 个字符）")
        found = self._id_problem(id_text)
        if found is not None:
            problems.append(found[1])
        if phone:
            if not (len(phone) == 11 and phone.isdigit()):
                phone = phone.replace(" ", "").replace("-", "").removeprefix("+86")
            if not (len(phone) == 11 and phone.isdigit() and phone[0] == "1" and phone[1] in "3456789"):
                problems.append("手机号码格式不正确（应为 11 位手机号）")
        relation = self._relations.get(relation) or self._parsed("relation", relation, problems)
        insurance = self._insurance_types.get(insurance) or self._parsed(
            "insurance_type", insurance, problems
        )
        hardship = self._hardships.get(hardship) or self._parsed("hardship", hardship, problems)
        registered = self._registered_dates.get(registered) or self._parsed(
            "registered_on", registered, problems
        )
        if found is None:
            first = self.seen_ids.setdefault(int(id_text[:17]), line)
            if first != line:
                problems.append(f"身份证号与第 {first} 行重复")
            if registered is not None and (
                registered.year * 10000 + registered.month * 100 + registered.day < int(id_text[6:14])
            ):
                problems.append("户籍登记日期早于出生日期")
        if number and village_id is not None:
            known = self.household_villages.setdefault(number, village_code)
            if known != village_code:
                problems.append(f"户号 {number} 在前面的行属于村 {known}")
        if problems:
            return "；".join(problems)
        assert village_id is not None  # else it is among the problems above
        hashed = self._hash
        return RowData(
            line,
            number,
            village_id,
            name,
            id_text,
            hashed(id_text),
            relation,
            phone,
            hashed(phone) if phone else "",
            insurance,
            hardship,
            registered,
            address,
        )


def seal_batch(rows: list[RowData]) -> list[SealedRow]:
    """Encrypt each row's ID and phone number and render its member COPY line (pure CPU: the reader's work)."""
    return list(map(SealedRow._make, _sealed_values(rows)))


def _sealed_values(rows: list[RowData]) -> list[tuple]:
    """``seal_batch`` as plain tuples, the form the reader process sends (they pickle at twice the speed)."""
    id_tokens = crypto.encrypt_many([r.id_number for r in rows])
    phone_tokens = iter(crypto.encrypt_many([r.phone for r in rows if r.phone]))
    compared_text = _compared_text  # a local in the loop below
    dates: dict[date, str] = {}  # register dates repeat down a roster
    sealed = []
    for row, id_token in zip(rows, id_tokens, strict=True):
        phone, id_number, registered = row.phone, row.id_number, row.registered_on
        registered_text = dates.get(registered) or dates.setdefault(registered, registered.isoformat())
        sealed.append(
            (
                row.line,
                row.household_number,
                row.village_id,
                row.address,
                row.id_hash,
                compared_text(
                    row.relation, row.name, row.phone_hash, row.insurance_type, row.hardship, registered_text
                ),
                f"{id_token}\t{id_number[:3]}***********{id_number[14:]}\t{'F' if id_number[16] in '02468' else 'M'}\t"
                f"{id_number[6:10]}-{id_number[10:12]}-{id_number[12:14]}\t"
                + (f"{next(phone_tokens)}\t{mask_phone(phone)}\tactive" if phone else "\t\tactive"),
            )
        )
    return sealed
