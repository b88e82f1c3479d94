#!/usr/bin/env python3
"""Writes the vendor documents of the drift tests (crates/cli/tests/drift.rs).

vendor-3.0/base.yaml is written by hand: the vendor's (Automox's) definition,
in its style, agreeing with ours.yaml on everything our client relies on.
This script derives from it, with plain text edits that each assert the text
they replace is there (exactly as often as they say):

- vendor-3.1/base.yaml: the same definition in OpenAPI 3.1 constructs
  (`type: [string, "null"]`, `examples:` arrays, `const`, a `$ref` with a
  sibling `description`, a numeric `exclusiveMinimum`), meaning the same;
- vendor-3.0/<case>.yaml and vendor-3.1/<case>.yaml: each base with the one
  vendor-side change its name says (CASES below);
- vendor-split/openapi.yaml and vendor-split/schemas.yaml: the 3.1 base split
  in two, the root reaching the schemas by relative `$ref`s;
- vendor-bad/not-yaml.yaml and vendor-bad/mixed-type.yaml: bad input.

Stdlib only. Run it after editing vendor-3.0/base.yaml or a case below:
    python3 crates/cli/tests/data/drift/make_cases.py
"""
import pathlib
import re

HERE = pathlib.Path(__file__).parent


def edit(text, old, new, count=1):
    """`text` with `old` (found exactly `count` times) replaced by `new`."""
    found = text.count(old)
    assert found == count, f"expected {count} of {old!r}, found {found}"
    return text.replace(old, new)


def apply(text, edits):
    for e in edits:
        text = e(text) if callable(e) else edit(text, *e)
    return text


def request_example_locale(text):
    """The request example with a locale (indented as each form has it)."""
    text, n = re.subn(
        r"(?m)^(\s+)account_rbac_role: global-admin\n(\1zone_assignments:\n)",
        r"\1account_rbac_role: global-admin\n\1locale: en\n\2",
        text,
    )
    assert n == 1, f"expected 1 request example, found {n}"
    return text


BASE_30 = (HERE / "vendor-3.0/base.yaml").read_text()

# The 3.0 base -> the 3.1 base: the same meaning in 3.1 constructs.
TO_31 = [
    ("openapi: 3.0.3\n", "openapi: 3.1.0\n"),
    ("written as OpenAPI 3.0.3\n", "written as OpenAPI 3.1.0\n"),
    ("    Written by hand; `make_cases.py` derives the 3.1 form and the cases.\n",
     "    Written by `make_cases.py` from `vendor-3.0/base.yaml`.\n"),
    # `nullable` -> a type list (`null` stays among the enum values, where
    # JSON Schema needs it for a null to pass).
    ("          type: string\n          nullable: true\n",
     "          type: [string, \"null\"]\n"),
    # A boolean `exclusiveMinimum` beside `minimum` -> a number.
    ("            minimum: 0\n            exclusiveMinimum: true\n",
     "            exclusiveMinimum: 0\n"),
    # A one-value enum -> `const`.
    ("                    type: string\n                    enum:\n                      - zone-list\n",
     "                    type: string\n                    const: zone-list\n"),
    # `$ref` with a sibling `description` (3.1 allows it; it changes nothing).
    ("        inviter:\n          $ref: '#/components/schemas/inviter'\n",
     "        inviter:\n          $ref: '#/components/schemas/inviter'\n"
     "          description: The user who sent the invitation.\n"),
    ("              account_rbac_role:\n                $ref: '#/components/schemas/accountRbacRole'\n",
     "              account_rbac_role:\n                $ref: '#/components/schemas/accountRbacRole'\n"
     "                description: Account role to give the invited user.\n"),
    # The request schema's `example` object -> an `examples` array.
    ("            example:\n"
     "              email: john.doe@example.com\n"
     "              account_rbac_role: global-admin\n"
     "              zone_assignments:\n"
     "                - zone_id: 3a55518d-2488-6f4e-55fb-a40fc120cd12\n"
     "                  rbac_role: zone-admin\n",
     "            examples:\n"
     "              - email: john.doe@example.com\n"
     "                account_rbac_role: global-admin\n"
     "                zone_assignments:\n"
     "                  - zone_id: 3a55518d-2488-6f4e-55fb-a40fc120cd12\n"
     "                    rbac_role: zone-admin\n"),
]


def to_31(text):
    text = apply(text, TO_31)
    # Every scalar schema `example: X` -> `examples: [X]` (the response's
    # media-type `example`, a list, stays: 3.1 media types keep `example`).
    text, n = re.subn(r"(?m)^(\s+)example: (\S.*)$", r"\1examples:\n\1  - \2", text)
    assert n == 8, f"expected 8 scalar examples, found {n}"
    return text


BASE_31 = to_31(BASE_30)

RESPONSE_201 = """              schema:
                type: array
                items:
                  $ref: '#/components/schemas/invitation'
              example:
                - id: a75c3a2f-9c02-0479-8472-a17a25228fc5
                  account_id: c0faadbe-7246-24e6-5daa-9861d44b3660
                  account_rbac_role: global-admin
                  email: john.doe@example.com
                  zones:
                    - id: 3a55518d-2488-6f4e-55fb-a40fc120cd12
                      rbac_role: zone-admin
                  created_at: '2021-03-04T23:57:24.953Z'
"""
RESPONSE_201_OBJECT = """              schema:
                type: object
                properties:
                  data:
                    type: array
                    items:
                      $ref: '#/components/schemas/invitation'
              example:
                data:
                  - id: a75c3a2f-9c02-0479-8472-a17a25228fc5
                    account_id: c0faadbe-7246-24e6-5daa-9861d44b3660
                    account_rbac_role: global-admin
                    email: john.doe@example.com
                    zones:
                      - id: 3a55518d-2488-6f4e-55fb-a40fc120cd12
                        rbac_role: zone-admin
                    created_at: '2021-03-04T23:57:24.953Z'
"""

# case name -> edits applied to both bases (3.0 and 3.1). The test's table
# (CASES in drift.rs) says what each must be judged.
CASES = {
    # The request body gains a required property.
    "required-request-property": [
        ("              zone_assignments:\n                type: array\n",
         "              locale:\n                description: Locale of the invitation email.\n"
         "                type: string\n"
         "              zone_assignments:\n                type: array\n"),
        ("            required:\n              - email\n              - account_rbac_role\n",
         "            required:\n              - email\n              - account_rbac_role\n              - locale\n"),
        # Its example, which needs a locale now.
        request_example_locale,
    ],
    # The zone role (sent in requests) loses a value ours sends.
    "request-enum-value-removed": [
        ("        - patch-operator\n        - helpdesk-operator\n", "        - patch-operator\n"),
    ],
    # The 201 body: an array of invitations -> an object holding the array.
    "response-array-to-object": [(RESPONSE_201, RESPONSE_201_OBJECT)],
    # A new error status.
    "new-error-status": [
        ("        '409':\n          $ref: '#/components/responses/BadRequest'\n",
         "        '409':\n          $ref: '#/components/responses/BadRequest'\n"
         "        '422':\n          description: Unprocessable Entity\n"
         "          content:\n            application/json:\n              schema:\n"
         "                $ref: '#/components/schemas/errors'\n"),
    ],
    # Our operation's path is gone (renamed).
    "path-renamed": [
        ("  /accounts/{accountId}/invitations:\n", "  /accounts/{accountId}/user-invitations:\n"),
    ],
    # The account id path parameter becomes an integer.
    "path-parameter-type": [
        ("          description: Account ID to invite the user to.\n          required: true\n"
         "          schema:\n            type: string\n            format: uuid\n",
         "          description: Account ID to invite the user to.\n          required: true\n"
         "          schema:\n            type: integer\n            format: int64\n"),
    ],
    # Bearer token -> an API key in a header.
    "security-scheme": [
        ("    bearerAuth:\n      type: http\n      scheme: bearer\n",
         "    bearerAuth:\n      type: apiKey\n      in: header\n      name: x-api-key\n"),
    ],
    # The invitation gains an optional property.
    "new-optional-response-property": [
        ("          description: The date and time the invitation was updated.\n"
         "          type: string\n          format: date-time\n",
         "          description: The date and time the invitation was updated.\n"
         "          type: string\n          format: date-time\n"
         "        expires_at:\n          description: When the invitation expires.\n"
         "          type: string\n          format: date-time\n"),
    ],
    # Only the operation ours does not cover changes: a new required
    # parameter, its body's `data` an object, its zone with a new required
    # property.
    "uncovered-operation-changed": [
        ("      responses:\n        '200':\n",
         "        - name: include\n          in: query\n          required: true\n"
         "          schema:\n            type: string\n"
         "      responses:\n        '200':\n"),
        ("                  data:\n                    type: array\n                    items:\n"
         "                      $ref: '#/components/schemas/zone'\n",
         "                  data:\n                    type: object\n                    additionalProperties:\n"
         "                      $ref: '#/components/schemas/zone'\n"),
        ("    zone:\n      type: object\n      required:\n        - id\n",
         "    zone:\n      type: object\n      required:\n        - id\n        - name\n"),
    ],
}


def split(text):
    """The 3.1 base as a root file and `schemas.yaml` (its `components/schemas`,
    the last section), the root reaching them by relative `$ref`s."""
    head, schemas = text.split("\n  schemas:\n")
    assert "\n  schemas:\n" not in schemas
    root = edit(head + "\n", "'#/components/schemas/", "'schemas.yaml#/components/schemas/", 9)
    return root, "components:\n  schemas:\n" + schemas


def write(name, text, header=True):
    if header:
        text = "# Written by make_cases.py (see there); do not edit by hand.\n" + text
    path = HERE / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


write("vendor-3.1/base.yaml", BASE_31)
for case, edits in CASES.items():
    write(f"vendor-3.0/{case}.yaml", apply(BASE_30, edits))
    write(f"vendor-3.1/{case}.yaml", apply(BASE_31, edits))
root, schemas = split(BASE_31)
write("vendor-split/openapi.yaml", root)
write("vendor-split/schemas.yaml", schemas)
write("vendor-bad/not-yaml.yaml", "openapi: 3.1.0\npaths: [\n  {unclosed: \n")
write("vendor-bad/mixed-type.yaml", edit(
    BASE_31,
    "          description: Email address if the user does not exist yet.\n          type: string\n",
    "          description: Email address if the user does not exist yet.\n          type: [string, integer]\n",
))
