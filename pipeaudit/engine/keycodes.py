"""Deal-key codes: equal codes for equal keys (dealkeys.normalise_text), computed in Arrow's kernels.

The duplicate-deal check only asks which deals share a normalised id, name or account, so it needs
the classes of equal keys, not the keys as Python strings. On an export of distinct ids and names
(1,000,000 deals) normalising every value in Python costs seconds.

This is a fast path. A value made only of printable ASCII and common CJK ideographs (U+4E00 to
U+9FA5) is unchanged by NFKC, its only whitespace is the plain space and case-folding it is ASCII
lower-casing, so `normalised_codes` normalises such values in Arrow (collapse and trim spaces,
ASCII lower case) and every other value with dealkeys.normalise_text itself. The plain way is
`normalised_codes_reference` (normalise_text, then factorize); tests/test_keycodes.py holds the
two to the same codes on fixed examples. Nothing else relies on how the codes are made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

#: Values matching this are normalised in Arrow: printable ASCII and CJK unified ideographs only.
_SIMPLE = r"^[\x{20}-\x{7E}\x{4E00}-\x{9FA5}]*$"


def normalised_codes(values: "pd.Series") -> "np.ndarray":
    """int64 codes per cell, in order of first appearance: equal normalised keys, equal codes;
    -1 where the key is None (missing or blank)."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    from pipeaudit.arrowtext import arrow_text

    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    try:
        arr = arrow_text(values.to_numpy(dtype=object))
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # not all text: the plain way
        return normalised_codes_reference(values)
    simple = pc.fill_null(pc.match_substring_regex(arr, _SIMPLE), True)
    if pc.any(pc.match_substring(arr, "  ")).as_py():  # runs of spaces to one (rarely needed)
        arr_spaced = pc.replace_substring_regex(arr, " +", " ")
    else:
        arr_spaced = arr
    keys = pc.ascii_lower(pc.utf8_trim(arr_spaced, " "))
    other = np.flatnonzero(~simple.to_numpy(zero_copy_only=False))
    if len(other):
        from pipeaudit.dealkeys import normalise_text

        rest = normalise_text(pd.Series(arr.take(pa.array(other)).to_pandas(types_mapper=None), dtype=object))
        keys = pc.replace_with_mask(keys, pc.invert(simple),
                                    arrow_text(rest.to_numpy(dtype=object)))
    keys = pc.if_else(pc.equal(keys, ""), pa.scalar(None, pa.large_string()), keys)
    encoded = pc.dictionary_encode(keys)
    return pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def normalised_codes_reference(values: "pd.Series") -> "np.ndarray":
    """normalised_codes the plain way: dealkeys.normalise_text, then codes in order of appearance."""
    import numpy as np
    import pandas as pd

    from pipeaudit.dealkeys import normalise_text

    codes, _ = pd.factorize(normalise_text(pd.Series(values.to_numpy(dtype=object), dtype=object)),
                            use_na_sentinel=True)
    return codes.astype(np.int64)
