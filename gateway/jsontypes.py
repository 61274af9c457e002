"""The one type for JSON documents: policy input and output, wire bodies, key records (JWK),
audit details and the demo's files.

``Json`` is ``Any`` on purpose. A JSON document's shape is known only when it is read, and every
reader checks the part it uses at run time (pydantic models at the API, the policy schema for
decisions, explicit checks in the key and bundle loaders). A recursive union would make each of
those readers narrow every value by hand without adding a check that is not already there.
"""

from typing import Any, TypeAlias

Json: TypeAlias = Any  # Any: a JSON value; its shape is checked at run time where it is read
JsonObject: TypeAlias = dict[str, Json]
