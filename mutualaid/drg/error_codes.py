from enum import Enum


class DrgGroupErrorCode(Enum):
    """Why a stay could not be grouped, or why its input was refused (lower-case codes).

    The grouping refusals (``unknown_code`` … ``ungroupable``) are also the ``status`` of a grouping result and
    of a row of ``mutualaid drg group``'s output; ``ok`` is the status of a grouped stay.
    """

    UNKNOWN_CATALOGUE = "unknown_catalogue"
    REQUIRED = "required"
    INVALID_VALUE = "invalid_value"
    UNKNOWN_CODE = "unknown_code"
    GREY_PRINCIPAL_DIAGNOSIS = "grey_principal_diagnosis"
    INVALID_PRINCIPAL_DIAGNOSIS = "invalid_principal_diagnosis"
    SEX_CONFLICT = "sex_conflict"
    AGE_CONFLICT = "age_conflict"
    UNGROUPABLE = "ungroupable"
